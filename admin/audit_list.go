package admin

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/bulletin-app/bulletin/store"
)

// auditListPage is the audit log, newest first, a page at a time: who
// approved, scheduled, sent, imported or removed what, and when.
type auditListPage struct {
	page
	Entries []store.AuditEntry
	Issue   int
	Older   string
	First   string
}

const auditPerPage = 100

func (h *handler) auditList(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	issue, _ := strconv.Atoi(q.Get("issue"))
	if issue < 0 {
		issue = 0
	}
	entries, err := h.app.AuditLog(r.Context(), store.AuditQuery{Issue: issue, Before: max(before, 0), Limit: auditPerPage + 1})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	p := &auditListPage{page: page{Title: "Audit log", Section: "audit"}, Issue: issue}
	link := func(before int64) string {
		v := url.Values{}
		if issue > 0 {
			v.Set("issue", strconv.Itoa(issue))
		}
		if before > 0 {
			v.Set("before", strconv.FormatInt(before, 10))
		}
		if len(v) == 0 {
			return "/admin/audit"
		}
		return "/admin/audit?" + v.Encode()
	}
	if len(entries) > auditPerPage {
		entries = entries[:auditPerPage]
		p.Older = link(entries[len(entries)-1].ID)
	}
	if before > 0 {
		p.First = link(0)
	}
	p.Entries = entries
	h.render(w, r, http.StatusOK, "audit_list", s, p)
}
