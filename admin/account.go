package admin

import (
	"net/http"
)

// accountPage is the signed-in user's own: the address test copies go to,
// and the password.
type accountPage struct {
	page
	Email         string
	EmailError    string
	PasswordError string
}

func (h *handler) accountForm(w http.ResponseWriter, r *http.Request, s *session) {
	h.render(w, r, http.StatusOK, "account", s, &accountPage{page: page{Title: "Account", Section: "account"}, Email: s.User.Email})
}

func (h *handler) accountEmail(w http.ResponseWriter, r *http.Request, s *session) {
	email := r.PostFormValue("email")
	if err := SetEmail(r.Context(), h.acc, s.Actor(), s.User.Name, email); err != nil {
		if refused(err) {
			h.render(w, r, http.StatusUnprocessableEntity, "account", s, &accountPage{page: page{Title: "Account", Section: "account"},
				Email: email, EmailError: sentence(err.Error())})
			return
		}
		h.fail(w, r, s, "/admin/account", err)
		return
	}
	h.done(w, r, "/admin/account", "Test copies go to "+email+" now.")
}

// accountPassword changes the user's own password, which the current one
// must be given for: the other sessions end, this one stays.
func (h *handler) accountPassword(w http.ResponseWriter, r *http.Request, s *session) {
	p := &accountPage{page: page{Title: "Account", Section: "account"}, Email: s.User.Email}
	if h.throttle.wait(s.User.Name, h.client(r)) > 0 {
		p.PasswordError = "Too many wrong passwords: please wait a few minutes and try again."
		h.render(w, r, http.StatusTooManyRequests, "account", s, p)
		return
	}
	if ok, _ := checkPassword(s.User.PasswordHash, r.PostFormValue("current")); !ok {
		h.throttle.failed(s.User.Name, h.client(r))
		p.PasswordError = "The current password is not right."
		h.render(w, r, http.StatusUnprocessableEntity, "account", s, p)
		return
	}
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("again") {
		p.PasswordError = "The new password and its repetition differ."
		h.render(w, r, http.StatusUnprocessableEntity, "account", s, p)
		return
	}
	if err := SetPassword(r.Context(), h.acc, s.Actor(), s.User.Name, pw, s.ID); err != nil {
		if refused(err) {
			p.PasswordError = sentence(err.Error())
			h.render(w, r, http.StatusUnprocessableEntity, "account", s, p)
			return
		}
		h.fail(w, r, s, "/admin/account", err)
		return
	}
	h.done(w, r, "/admin/account", "Your password is changed; your other sessions ended.")
}
