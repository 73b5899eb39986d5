package admin

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/store"
)

// subscriberAdd adds one address: confirmed at once when the editor
// vouches for the subscriber's consent, else pending, with a confirmation
// link sent (double opt-in).
func (h *handler) subscriberAdd(w http.ResponseWriter, r *http.Request, s *session) {
	email, name, confirmed := r.PostFormValue("email"), r.PostFormValue("name"), r.PostFormValue("confirmed") == "yes"
	sub, what, err := h.app.AddSubscriber(r.Context(), email, name, confirmed)
	if err != nil {
		msg := sentence(err.Error())
		switch {
		case errors.Is(err, newsletter.ErrExists):
		case errors.Is(err, newsletter.ErrSuppressed), errors.Is(err, newsletter.ErrInvalidAddress), errors.Is(err, store.ErrInvalid):
		default:
			h.log.Error("desk: add subscriber", "err", err)
			msg = "The address could not be added: " + msg
		}
		h.showSubscribers(w, r, s, http.StatusUnprocessableEntity, func(p *subscriberListPage) {
			p.AddEmail, p.AddName, p.AddConfirmed, p.AddError = email, name, confirmed, msg
		})
		return
	}
	var msg string
	switch {
	case confirmed:
		msg = fmt.Sprintf("%s is subscribed (confirmed).", sub.Email)
	case what == newsletter.AlreadyConfirmed:
		msg = fmt.Sprintf("%s is subscribed already: nothing was sent.", sub.Email)
	case what == newsletter.ConfirmationRecent:
		msg = fmt.Sprintf("%s was sent a confirmation link a short while ago; no other goes out yet.", sub.Email)
	case what == newsletter.NotSubscribable:
		msg = fmt.Sprintf("%s is %s: nothing was sent, and it is not mailed again.", sub.Email, sub.Status)
	default:
		msg = fmt.Sprintf("%s is pending: a confirmation link was sent to it.", sub.Email)
	}
	detail := "confirmation link sent"
	if confirmed {
		detail = "confirmed by the editor"
	}
	if what != newsletter.AlreadyConfirmed || confirmed {
		h.audit(r.Context(), store.AuditEntry{Actor: s.Actor(), Action: AuditSubscriberAdd, Subscriber: sub.ID, Detail: detail})
	}
	h.done(w, r, fmt.Sprintf("/admin/subscribers/%d", sub.ID), msg)
}
