package admin

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"mime"
	"net/http"
)

// Cross-site request forgery is stopped twice over. A post that a browser
// says comes from another origin (Sec-Fetch-Site, or an Origin that is not
// the host) is refused by http.CrossOriginProtection, which New puts in
// front of every route. And every form of a session carries a token that
// only a page of the session knows, checked on every post: derived from
// the secret of the session's cookie, so it is new at every sign-in and
// nothing but the cookie needs keeping. The sign-in form, before there is
// a session, carries the value of a cookie of its own instead (a double
// submit). Only /admin/ is guarded so: the public one-click unsubscribe
// (RFC 8058) is posted by mail providers, from anywhere.

// csrfField is the forms' field of the token.
const csrfField = "csrf"

// signInCookie holds the sign-in form's token until it is posted.
const signInCookie = "bulletin_desk_signin"

// Request bodies of the desk's forms are bounded: an upload (a CSV import)
// by maxUpload, anything else by maxForm.
const (
	maxForm   = 1 << 20
	maxUpload = 32 << 20
)

// csrfToken is the token of the session whose cookie holds secret.
func csrfToken(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("bulletin desk form token v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// readForm reads a post's form, within the size bound of its kind.
func readForm(w http.ResponseWriter, r *http.Request) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
		return r.ParseMultipartForm(4 << 20)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	return r.ParseForm()
}

// checkCSRF reads the post's form and checks its token, answering the
// request itself when it fails.
func (h *handler) checkCSRF(w http.ResponseWriter, r *http.Request, s *session) bool {
	if err := readForm(w, r); err != nil {
		h.render(w, r, http.StatusBadRequest, "error", s, &errorPage{page: page{Title: "Form not read"},
			Message: "The form could not be read (too large, or broken): " + err.Error()})
		return false
	}
	if !sameToken(r.PostFormValue(csrfField), s.CSRF) {
		h.log.Warn("desk: a post without its session's form token refused", "path", r.URL.Path, "user", s.User.Name, "client", h.client(r))
		h.render(w, r, http.StatusForbidden, "error", s, &errorPage{page: page{Title: "Form refused"},
			Message: "This form did not come from a page of your session (it may be from another site, or from before you signed in again). Nothing was changed: go back, reload the page and try again."})
		return false
	}
	return true
}

func sameToken(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// crossOrigin answers a post that http.CrossOriginProtection refused.
func (h *handler) crossOrigin(w http.ResponseWriter, r *http.Request) {
	h.log.Warn("desk: a cross-origin post refused", "path", r.URL.Path, "origin", r.Header.Get("Origin"),
		"sec_fetch_site", r.Header.Get("Sec-Fetch-Site"), "client", h.client(r))
	h.render(w, r, http.StatusForbidden, "error", nil, &errorPage{page: page{Title: "Form refused"},
		Message: "This form was posted from another site. Nothing was changed."})
}

// deskPolicy is the Content-Security-Policy of the desk's pages: its own
// style sheet and script only, no inline script or style, frames only
// from the desk (the previews), posts only to itself.
const deskPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// framePolicy is the policy of a preview shown in a frame of the desk
// (the email's HTML, the page): their own styles, no script at all,
// and a sandbox, which keeps them from the desk's origin even when opened
// on their own.
const framePolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; " +
	"form-action 'none'; frame-ancestors 'self'; base-uri 'none'; sandbox"

// withPolicy sets the desk's headers on every response: its policy, and
// no caching (its pages hold subscribers' addresses and a form token). A
// handler may set a policy of its own (the previews).
func withPolicy(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("Content-Security-Policy", deskPolicy)
		hdr.Set("Cache-Control", "no-store")
		hdr.Set("Referrer-Policy", "same-origin")
		hdr.Set("X-Robots-Tag", "noindex")
		h.ServeHTTP(w, r)
	})
}
