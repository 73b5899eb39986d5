package admin

import (
	"fmt"
	"net/http"

	"github.com/bulletin-app/bulletin/store"
)

func subscriberURL(id int64) string { return fmt.Sprintf("/admin/subscribers/%d", id) }

// subscriberUnsubscribe unsubscribes, as the subscriber's own link would:
// the address and its history stay, so that no import brings it back.
func (h *handler) subscriberUnsubscribe(w http.ResponseWriter, r *http.Request, s *session) {
	sub, ok := h.subscriber(w, r, s)
	if !ok {
		return
	}
	after, changed, err := h.app.Unsubscribe(r.Context(), sub.Email)
	if err != nil {
		h.fail(w, r, s, subscriberURL(sub.ID), err)
		return
	}
	if !changed {
		h.done(w, r, subscriberURL(sub.ID), fmt.Sprintf("%s was not subscribed (%s): nothing changed.", sub.Email, after.Status))
		return
	}
	h.audit(r.Context(), store.AuditEntry{Actor: s.Actor(), Action: AuditUnsubscribe, Subscriber: sub.ID})
	h.done(w, r, subscriberURL(sub.ID), fmt.Sprintf("%s is unsubscribed.", sub.Email))
}

// subscriberForget erases the address and name; the ledger keeps its rows
// without them, and a hash keeps it from coming back but by a new opt-in.
func (h *handler) subscriberForget(w http.ResponseWriter, r *http.Request, s *session) {
	sub, ok := h.subscriber(w, r, s)
	if !ok {
		return
	}
	if store.IsForgotten(sub.Email) {
		h.done(w, r, subscriberURL(sub.ID), "This subscriber is forgotten already.")
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		h.failed(w, r, subscriberURL(sub.ID), "Tick the box to say that the address is to be erased for good.")
		return
	}
	if err := h.app.Forget(r.Context(), sub.Email); err != nil {
		h.fail(w, r, s, subscriberURL(sub.ID), err)
		return
	}
	// The entry names the subscriber by id only: the address is gone.
	h.audit(r.Context(), store.AuditEntry{Actor: s.Actor(), Action: AuditForget, Subscriber: sub.ID})
	h.done(w, r, "/admin/subscribers", fmt.Sprintf("Subscriber %d is forgotten: the address and name are erased.", sub.ID))
}
