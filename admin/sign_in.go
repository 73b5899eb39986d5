package admin

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/bulletin-app/bulletin/store"
)

// Audit actions of the desk's own.
const (
	AuditSignIn        = "user.sign-in"
	AuditSignOut       = "user.sign-out"
	AuditUserAdd       = "user.add"
	AuditUserRemove    = "user.remove"
	AuditUserRole      = "user.role"
	AuditUserPassword  = "user.password"
	AuditUserEmail     = "user.email"
	AuditSubscriberAdd = "subscriber.add"
	AuditUnsubscribe   = "subscriber.unsubscribe"
	AuditForget        = "subscriber.forget"
	AuditImport        = "subscribers.import"
	AuditExport        = "subscribers.export"
	AuditSourceFetch   = "source.fetch"
)

type signInPage struct {
	page
	Name    string
	Next    string
	Token   string
	Error   string
	NoUsers bool
}

// signInForm shows the sign-in form, with a token of its own (signInCookie).
func (h *handler) signInForm(w http.ResponseWriter, r *http.Request) {
	if s, err := h.session(r); err == nil && s != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	h.showSignIn(w, r, http.StatusOK, signInPage{Next: safeNext(r.URL.Query().Get("next"))})
}

func (h *handler) showSignIn(w http.ResponseWriter, r *http.Request, status int, p signInPage) {
	p.Title = "Sign in"
	p.Token = randomToken(24)
	h.setCookie(w, r, signInCookie, p.Token, time.Hour)
	if users, err := h.acc.AdminUsers(r.Context()); err == nil && len(users) == 0 {
		p.NoUsers = true
	}
	h.render(w, r, status, "sign_in", nil, &p)
}

// signIn checks a name and password, and starts a session for them.
func (h *handler) signIn(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r); err != nil {
		h.showSignIn(w, r, http.StatusBadRequest, signInPage{Error: "The form could not be read."})
		return
	}
	name := strings.ToLower(strings.TrimSpace(r.PostFormValue("name")))
	if len(name) > 100 {
		name = name[:100]
	}
	p := signInPage{Name: name, Next: safeNext(r.PostFormValue("next"))}
	c, err := r.Cookie(signInCookie)
	if err != nil || !sameToken(r.PostFormValue(csrfField), c.Value) {
		p.Error = "This form was too old, or did not come from this site. Please sign in again."
		h.showSignIn(w, r, http.StatusForbidden, p)
		return
	}
	client := h.client(r)
	if wait := h.throttle.wait(name, client); wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", fmt.Sprint(secs))
		h.log.Warn("desk: sign-in throttled", "user", name, "client", client)
		p.Error = fmt.Sprintf("Too many failed sign-ins: please wait %s and try again.", time.Duration(secs)*time.Second)
		h.showSignIn(w, r, http.StatusTooManyRequests, p)
		return
	}
	ctx := r.Context()
	user, err := h.acc.AdminUserByName(ctx, name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.serverError(w, r, err)
		return
	}
	hash := user.PasswordHash
	if err != nil {
		hash = decoyHash // as long as for a user who exists
	}
	pw := r.PostFormValue("password")
	ok, rehash := checkPassword(hash, pw)
	if !ok || user.ID == 0 {
		h.throttle.failed(name, client)
		h.log.Warn("desk: sign-in failed", "user", name, "client", client)
		p.Error = "That name and password do not match a user of the desk."
		h.showSignIn(w, r, http.StatusUnauthorized, p)
		return
	}
	if rehash {
		if newHash, err := HashPassword(pw); err == nil {
			if err := h.acc.RehashAdminPassword(ctx, user.ID, newHash); err != nil {
				h.log.Warn("desk: cannot renew a password's hash", "user", name, "err", err)
			}
		}
	}
	if err := h.startSession(w, r, user); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.setCookie(w, r, signInCookie, "", -1)
	h.audit(ctx, store.AuditEntry{Actor: "admin:" + user.Name, Action: AuditSignIn, Detail: "from " + client})
	http.Redirect(w, r, p.Next, http.StatusSeeOther)
}

// audit adds an entry to the audit log; a log that cannot be written is
// logged, and what was done stays done.
func (h *handler) audit(ctx context.Context, e store.AuditEntry) {
	if err := h.app.Audit(context.WithoutCancel(ctx), e); err != nil {
		h.log.Error("desk: cannot write the audit log", "action", e.Action, "err", err)
	}
}
