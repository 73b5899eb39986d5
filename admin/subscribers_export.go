package admin

import (
	"fmt"
	"net/http"

	"github.com/bulletin-app/bulletin/store"
)

// subscribersExport downloads the subscribers (of one status, or all) as
// CSV, as bulletin subscribers export writes it.
func (h *handler) subscribersExport(w http.ResponseWriter, r *http.Request, s *session) {
	status := r.URL.Query().Get("status")
	if status != "" {
		if _, err := store.ParseSubscriberStatus(status); err != nil {
			h.failed(w, r, "/admin/subscribers", sentence(err.Error()))
			return
		}
	}
	name := "subscribers.csv"
	if status != "" {
		name = "subscribers-" + status + ".csv"
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	n, err := h.app.ExportSubscribers(r.Context(), w, status)
	if err != nil {
		// The headers are out: the file is cut short, and the log says why.
		h.log.Error("desk: export", "err", err)
		return
	}
	detail := fmt.Sprintf("%d subscribers", n)
	if status != "" {
		detail += ", " + status
	}
	h.audit(r.Context(), store.AuditEntry{Actor: s.Actor(), Action: AuditExport, Detail: detail})
}
