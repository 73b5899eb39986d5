package admin

import (
	"errors"
	"net/http"

	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/store"
)

// subscribersImportPage is the import form, and after an import what it
// did: the rows added, those known already, and each refused row with its
// line and reason.
type subscribersImportPage struct {
	page
	Done   bool
	Report newsletter.ImportReport
	File   string
	Error  string
}

func (h *handler) subscribersImportForm(w http.ResponseWriter, r *http.Request, s *session) {
	h.render(w, r, http.StatusOK, "subscribers_import", s, &subscribersImportPage{page: page{Title: "Import subscribers", Section: "subscribers"}})
}

// subscribersImport adds the rows of an uploaded CSV file as confirmed
// subscribers, as bulletin subscribers import --confirmed does.
func (h *handler) subscribersImport(w http.ResponseWriter, r *http.Request, s *session) {
	p := &subscribersImportPage{page: page{Title: "Import subscribers", Section: "subscribers"}}
	if r.PostFormValue("confirmed") != "yes" {
		p.Error = "An import adds every row as confirmed and sends no confirmation: tick the box to say you vouch for their consent."
		h.render(w, r, http.StatusUnprocessableEntity, "subscribers_import", s, p)
		return
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		p.Error = "Choose a CSV file to import."
		h.render(w, r, http.StatusUnprocessableEntity, "subscribers_import", s, p)
		return
	}
	defer f.Close()
	p.File = hdr.Filename
	rep, err := h.app.ImportSubscribers(r.Context(), f)
	p.Report = rep
	if err != nil {
		if !errors.Is(err, store.ErrInvalid) {
			h.log.Error("desk: import", "file", hdr.Filename, "err", err)
		}
		p.Error = "Nothing was imported: " + sentence(err.Error())
		h.render(w, r, http.StatusUnprocessableEntity, "subscribers_import", s, p)
		return
	}
	p.Done = true
	h.audit(r.Context(), store.AuditEntry{Actor: s.Actor(), Action: AuditImport, Detail: hdr.Filename + ": " + rep.String()})
	h.render(w, r, http.StatusOK, "subscribers_import", s, p)
}
