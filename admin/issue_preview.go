package admin

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"

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
func framed(w http.ResponseWriter, body []byte) { framedWith(w, body, framePolicy) }

func framedWith(w http.ResponseWriter, body []byte, policy string) {
	w.Header().Set("Content-Security-Policy", policy)
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
	page, policy := h.rebased(p.Page, n)
	framedWith(w, page, policy)
}

// rebased gives the page of issue n a base at its place on the public
// site, so that its relative links lead where the published page's do,
// not under /admin/, and the frame's policy that lets that base and the
// site's icon in. Without a usable site.url the page is as it is.
func (h *handler) rebased(page []byte, n int) ([]byte, string) {
	site, err := url.Parse(h.opts.SiteURL)
	if err != nil || (site.Scheme != "http" && site.Scheme != "https") || site.Host == "" {
		return page, framePolicy
	}
	i := bytes.Index(page, []byte("<head>"))
	if i < 0 {
		return page, framePolicy
	}
	i += len("<head>")
	base := site.JoinPath(fmt.Sprintf("issues/%d/", n))
	tag := `<base href="` + html.EscapeString(base.String()) + `">`
	out := make([]byte, 0, len(page)+len(tag))
	out = append(append(append(out, page[:i]...), tag...), page[i:]...)
	origin := site.Scheme + "://" + site.Host
	policy := strings.Replace(framePolicy, "img-src https: data:", "img-src https: data: "+origin, 1)
	policy = strings.Replace(policy, "base-uri 'none'", "base-uri "+origin, 1)
	return out, policy
}
