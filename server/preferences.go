package server

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/store"
)

// dateForm is how a date input sends its value.
const dateForm = "2006-01-02"

func (s *Subscriptions) preferencesData(sub store.Subscriber, token string) pageData {
	now := time.Now().UTC()
	d := pageData{Title: "Your preferences", Email: sub.Email, Token: token,
		Subscribed: sub.Status == store.StatusConfirmed, Cadence: string(sub.Cadence),
		Today: now.AddDate(0, 0, 1).Format(dateForm), MaxDate: now.Add(newsletter.MaxPause).Format(dateForm)}
	if sub.PausedUntil.After(now) {
		d.PausedUntil = sub.PausedUntil.UTC().Format(dateForm)
	}
	if d.Subscribed {
		d.UnsubscribeToken = s.nl.UnsubscribeToken(sub.Email)
	}
	return d
}

// preferencesForm shows what the reader chose, to change it: a GET
// changes nothing.
func (s *Subscriptions) preferencesForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	sub, err := s.nl.Preferences(r.Context(), token)
	switch {
	case errors.Is(err, newsletter.ErrNotSubscribed):
		s.render(w, http.StatusOK, preferencesPage, s.preferencesData(sub, token))
	case errors.Is(err, newsletter.ErrBadToken):
		s.render(w, http.StatusBadRequest, statusPage, pageData{Title: "Invalid link", Message: "This link to your preferences is not valid."})
	case err != nil:
		s.log.Error("preferences", "err", err)
		s.render(w, http.StatusInternalServerError, statusPage, pageData{Title: "Something went wrong", Message: "Please try again later."})
	default:
		s.render(w, http.StatusOK, preferencesPage, s.preferencesData(sub, token))
	}
}

// preferences saves the form: a cadence, and a pause until the start of a
// day (UTC), or none.
func (s *Subscriptions) preferences(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.render(w, http.StatusBadRequest, statusPage, pageData{Title: "Not saved", Message: "The form could not be read."})
		return
	}
	token := r.PostForm.Get("token")
	cadence := store.Cadence(r.PostForm.Get("cadence"))
	var until time.Time
	var bad string
	if v := r.PostForm.Get("pause_until"); v != "" {
		t, err := time.Parse(dateForm, v)
		if err != nil {
			bad = "Please give the date the pause ends as a day, like 2027-01-31."
		}
		until = t
	}
	if cadence != store.CadenceIssue && cadence != store.CadenceWeekly {
		bad = "Please choose every issue or the weekly digest."
	}
	var sub store.Subscriber
	var err error
	if bad == "" {
		sub, err = s.nl.SetPreferences(r.Context(), token, cadence, until)
	} else {
		sub, err = s.nl.Preferences(r.Context(), token)
	}
	switch {
	case errors.Is(err, newsletter.ErrBadToken):
		s.render(w, http.StatusBadRequest, statusPage, pageData{Title: "Invalid link", Message: "This link to your preferences is not valid."})
		return
	case errors.Is(err, newsletter.ErrNotSubscribed):
		s.render(w, http.StatusOK, preferencesPage, s.preferencesData(sub, token))
		return
	case errors.Is(err, newsletter.ErrBadPreferences):
		// Refused as asked (a pause in the past, say): say why.
		bad = strings.ToUpper(err.Error()[:1]) + err.Error()[1:] + "."
	case err != nil:
		s.log.Error("preferences", "err", err)
		s.render(w, http.StatusInternalServerError, statusPage, pageData{Title: "Something went wrong", Message: "Please try again later."})
		return
	}
	d := s.preferencesData(sub, token)
	if bad != "" {
		d.Error = bad
		s.render(w, http.StatusBadRequest, preferencesPage, d)
		return
	}
	d.Saved = true
	s.render(w, http.StatusOK, preferencesPage, d)
}
