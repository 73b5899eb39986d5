package admin

import (
	"net/http"

	"github.com/bulletin-app/bulletin/store"
)

// userByID reads the route's user.
func (h *handler) userByID(w http.ResponseWriter, r *http.Request, s *session) (store.AdminUser, bool) {
	id, ok := pathInt(r, "id")
	if !ok {
		h.notFound(w, r, s)
		return store.AdminUser{}, false
	}
	u, err := h.acc.AdminUser(r.Context(), id)
	if err != nil {
		h.fail(w, r, s, "/admin/users", err)
		return store.AdminUser{}, false
	}
	return u, true
}

func (h *handler) userRole(w http.ResponseWriter, r *http.Request, s *session) {
	u, ok := h.userByID(w, r, s)
	if !ok {
		return
	}
	role := store.AdminRole(r.PostFormValue("role"))
	if err := SetRole(r.Context(), h.acc, s.Actor(), u.Name, role); err != nil {
		h.fail(w, r, s, "/admin/users", err)
		return
	}
	h.done(w, r, "/admin/users", u.Name+" is "+string(role)+" now.")
}

// userPassword sets another user's password (a forgotten one): every
// session of that user ends.
func (h *handler) userPassword(w http.ResponseWriter, r *http.Request, s *session) {
	u, ok := h.userByID(w, r, s)
	if !ok {
		return
	}
	keep := ""
	if u.ID == s.User.ID {
		keep = s.ID
	}
	if err := SetPassword(r.Context(), h.acc, s.Actor(), u.Name, r.PostFormValue("password"), keep); err != nil {
		h.fail(w, r, s, "/admin/users", err)
		return
	}
	h.done(w, r, "/admin/users", u.Name+" has a new password; their other sessions ended.")
}
