package admin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bulletin-app/bulletin/store"
)

// sessionCookie carries "id.secret" of the browser's session: the id finds
// the row, the secret proves the cookie is the one handed out (the row
// keeps only its SHA-256). Both are new at every sign-in.
const sessionCookie = "bulletin_desk"

// seenEvery is how often a session in use records that it was: the idle
// timeout is counted from it, and a write per request would be a waste.
const seenEvery = time.Minute

// session is the signed-in user of a request.
type session struct {
	store.AdminSession
	// CSRF is the token every form of the session carries (see csrf.go).
	CSRF string
}

// Actor is how the audit log names the session's user.
func (s *session) Actor() string { return "admin:" + s.User.Name }

// IsAdmin tells whether the user manages users.
func (s *session) IsAdmin() bool { return s.User.Role == store.RoleAdmin }

// randomToken returns n random bytes, base64url-encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// errNoSession is the reason a request has no session: no cookie, an
// unknown or ended session, a wrong secret.
var errNoSession = errors.New("not signed in")

// session returns the request's session, checked: the cookie's secret
// matches, and the session is neither idle too long nor too old. One that
// expired is deleted.
func (h *handler) session(r *http.Request) (*session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, errNoSession
	}
	id, secret, ok := strings.Cut(c.Value, ".")
	if !ok || id == "" || secret == "" || len(c.Value) > 200 {
		return nil, errNoSession
	}
	ctx := r.Context()
	se, err := h.acc.AdminSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(se.SecretHash)) != 1 {
		return nil, errNoSession
	}
	now := h.now()
	if now.Sub(se.CreatedAt) > h.opts.Lifetime || now.Sub(se.SeenAt) > h.opts.IdleTimeout {
		if err := h.acc.RemoveAdminSession(context.WithoutCancel(ctx), se.ID); err != nil {
			h.log.Error("cannot end an expired session", "err", err)
		}
		return nil, errNoSession
	}
	if now.Sub(se.SeenAt) >= seenEvery {
		if err := h.acc.TouchAdminSession(ctx, se.ID); err != nil {
			h.log.Warn("cannot record a session's use", "err", err)
		}
	}
	return &session{AdminSession: se, CSRF: csrfToken(secret)}, nil
}

// startSession signs user in on this browser: a new session (id and
// secret), whatever the browser held before, which ends.
func (h *handler) startSession(w http.ResponseWriter, r *http.Request, user store.AdminUser) error {
	ctx := r.Context()
	if c, err := r.Cookie(sessionCookie); err == nil {
		if id, _, ok := strings.Cut(c.Value, "."); ok && id != "" {
			h.acc.RemoveAdminSession(ctx, id)
		}
	}
	now := h.now()
	if _, err := h.acc.ExpireAdminSessions(ctx, now.Add(-h.opts.Lifetime), now.Add(-h.opts.IdleTimeout)); err != nil {
		h.log.Warn("cannot delete expired sessions", "err", err)
	}
	id, secret := randomToken(18), randomToken(32)
	ua := r.UserAgent()
	if len(ua) > 300 {
		ua = ua[:300]
	}
	if _, err := h.acc.AddAdminSession(ctx, store.AdminSession{ID: id, SecretHash: hashSecret(secret), User: user,
		Client: h.client(r), UserAgent: ua}); err != nil {
		return err
	}
	h.setCookie(w, r, sessionCookie, id+"."+secret, h.opts.Lifetime)
	return nil
}

// setCookie sets a cookie of the desk's: for /admin/ only, out of reach of
// scripts, not sent along with cross-site posts, Secure on https.
func (h *handler) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: "/admin/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: h.opts.HTTPS || r.TLS != nil}
	if maxAge > 0 {
		c.MaxAge = int(maxAge / time.Second)
	} else if maxAge < 0 {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// signedIn serves f to a request with a session; one without is sent to
// the sign-in page (a page it asked for comes back after), or refused.
func (h *handler) signedIn(f func(http.ResponseWriter, *http.Request, *session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := h.session(r)
		if err != nil {
			if !errors.Is(err, errNoSession) {
				h.serverError(w, r, err)
				return
			}
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				if wantsJSON(r) {
					http.Error(w, `{"error":"not signed in"}`, http.StatusUnauthorized)
					return
				}
				http.Redirect(w, r, "/admin/sign-in?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			h.render(w, r, http.StatusUnauthorized, "error", nil, &errorPage{page: page{Title: "Signed out"},
				Message: "You are not signed in (or your session ended): sign in again, then repeat what you did."})
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !h.checkCSRF(w, r, s) {
			return
		}
		f(w, r, s)
	})
}

// adminOnly serves f to admins, and refuses editors.
func (h *handler) adminOnly(f func(http.ResponseWriter, *http.Request, *session)) func(http.ResponseWriter, *http.Request, *session) {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		if !s.IsAdmin() {
			h.render(w, r, http.StatusForbidden, "error", s, &errorPage{page: page{Title: "Admins only"},
				Message: "Only an admin manages the desk's users."})
			return
		}
		f(w, r, s)
	}
}

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// safeNext is where to go after signing in: a page of the desk, else its
// dashboard. Nothing else, so that a link cannot send anyone elsewhere.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/admin/") ||
		strings.HasPrefix(next, "//") || strings.Contains(next, `\`) || strings.HasPrefix(u.Path, "/admin/sign-") {
		return "/admin/"
	}
	return u.RequestURI()
}
