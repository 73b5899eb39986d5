package admin

import "net/http"

type sourceListPage struct {
	page
	Sources []Source
}

func (h *handler) sourceList(w http.ResponseWriter, r *http.Request, s *session) {
	sources, err := h.app.Sources(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "source_list", s, &sourceListPage{page: page{Title: "Sources", Section: "sources"}, Sources: sources})
}
