package admin

import (
	"fmt"
	"net/http"

	"github.com/bulletin-app/bulletin/store"
)

// subscriberShowPage is one subscriber: the address, where it stands, what
// was sent to it, what came back, and what the desk did to it.
type subscriberShowPage struct {
	page
	Subscriber store.Subscriber
	Forgotten  bool
	Deliveries []store.Delivery
	Bounces    []store.BounceEvent
	Audit      []store.AuditEntry
	CanLeave   bool // pending or confirmed: can be unsubscribed
}

const historyShown = 100

func (h *handler) subscriber(w http.ResponseWriter, r *http.Request, s *session) (store.Subscriber, bool) {
	id, ok := pathInt(r, "id")
	if !ok {
		h.notFound(w, r, s)
		return store.Subscriber{}, false
	}
	sub, err := h.app.Subscriber(r.Context(), id)
	if err != nil {
		h.fail(w, r, s, "/admin/subscribers", err)
		return store.Subscriber{}, false
	}
	return sub, true
}

func (h *handler) subscriberShow(w http.ResponseWriter, r *http.Request, s *session) {
	sub, ok := h.subscriber(w, r, s)
	if !ok {
		return
	}
	ctx := r.Context()
	p := &subscriberShowPage{page: page{Title: sub.Email, Section: "subscribers"}, Subscriber: sub,
		Forgotten: store.IsForgotten(sub.Email),
		CanLeave:  sub.Status == store.StatusPending || sub.Status == store.StatusConfirmed}
	if p.Forgotten {
		p.Title = fmt.Sprintf("Subscriber %d (forgotten)", sub.ID)
	}
	var err error
	if p.Deliveries, err = h.app.SubscriberDeliveries(ctx, sub.ID, historyShown); err != nil {
		h.serverError(w, r, err)
		return
	}
	if p.Bounces, err = h.app.SubscriberBounces(ctx, sub.ID, historyShown); err != nil {
		h.serverError(w, r, err)
		return
	}
	if p.Audit, err = h.app.AuditLog(ctx, store.AuditQuery{Subscriber: sub.ID, Limit: historyShown}); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "subscriber_show", s, p)
}
