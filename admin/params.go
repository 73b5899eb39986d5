package admin

import (
	"net/http"
	"strconv"
)

// pathInt reads a positive number from the route's {name}.
func pathInt(r *http.Request, name string) (int64, bool) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return n, err == nil && n > 0
}

// issueNumber reads the route's {n}, answering a bad one itself.
func (h *handler) issueNumber(w http.ResponseWriter, r *http.Request, s *session) (int, bool) {
	n, ok := pathInt(r, "n")
	if !ok || n > 1<<31 {
		h.notFound(w, r, s)
		return 0, false
	}
	return int(n), true
}

// formInt reads a number from the form; ok is false when it is not one.
func formInt(r *http.Request, name string) (int64, bool) {
	n, err := strconv.ParseInt(r.PostFormValue(name), 10, 64)
	return n, err == nil
}
