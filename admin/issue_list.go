package admin

import (
	"net/http"

	"github.com/bulletin-app/bulletin/store"
)

type issueListPage struct {
	page
	Issues []store.IssueSummary
	Review bool
}

// issuesShown bounds the list; the oldest are in the public archive.
const issuesShown = 200

func (h *handler) issueList(w http.ResponseWriter, r *http.Request, s *session) {
	issues, err := h.app.ListIssues(r.Context(), issuesShown)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "issue_list", s, &issueListPage{page: page{Title: "Issues", Section: "issues"},
		Issues: issues, Review: h.app.Review()})
}
