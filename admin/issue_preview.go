package admin

import (
	"fmt"
	"net/http"

	"github.com/bulletin-app/bulletin/store"
)

// issuePreviewPage shows an issue as it goes out: the email's HTML part in
// a sandboxed frame, its text part, and the web page in another frame.
type issuePreviewPage struct {
	page
	Issue   store.Issue
	Subject string
	Text    string
	Email   string // the frames' URLs
	Page    string
}

func (h *handler) issuePreview(w http.ResponseWriter, r *http.Request, s *session) {
	n, ok := h.issueNumber(w, r, s)
	if !ok {
		return
	}
	is, err := h.app.Issue(r.Context(), n)
	if err != nil {
		h.fail(w, r, s, "/admin/issues", err)
		return
	}
	p, err := h.app.PreviewIssue(r.Context(), n, "")
	if err != nil {
		h.fail(w, r, s, issueURL(n), err)
		return
	}
	h.render(w, r, http.StatusOK, "issue_preview", s, &issuePreviewPage{
		page:  page{Title: fmt.Sprintf("Preview of issue #%d", n), Section: "issues"},
		Issue: is, Subject: p.Subject, Text: p.Text,
		Email: fmt.Sprintf("/admin/issues/%d/preview/email", n), Page: fmt.Sprintf("/admin/issues/%d/preview/page", n)})
}

// framed writes a preview's HTML for a frame of the desk's preview page,
// under a policy that runs none of its scripts and sandboxes it.
func framed(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Security-Policy", framePolicy)
	w.Header().Set("X-Frame-Options", "SAMEORIGIN")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(body)
}

// issuePreviewPart serves the email's HTML part (part "email") or the web
// page (part "page") of the preview, for its frames.
func (h *handler) issuePreviewPart(w http.ResponseWriter, r *http.Request, s *session) {
	n, ok := h.issueNumber(w, r, s)
	if !ok {
		return
	}
	part := r.PathValue("part")
	if part != "email" && part != "page" {
		h.notFound(w, r, s)
		return
	}
	p, err := h.app.PreviewIssue(r.Context(), n, "")
	if err != nil {
		h.fail(w, r, s, issueURL(n), err)
		return
	}
	if part == "email" {
		framed(w, []byte(p.HTML))
		return
	}
	framed(w, p.Page)
}
