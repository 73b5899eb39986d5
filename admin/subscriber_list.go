package admin

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/bulletin-app/bulletin/store"
)

// subscriberListPage is the subscriber table: a page at a time, newest
// first, searched and filtered in the store (see store.SubscriberPage).
type subscriberListPage struct {
	page
	Query       string
	Status      store.SubscriberStatus
	Statuses    []statusCount
	Total       int
	Subscribers []store.Subscriber
	// Older is the next page's URL; empty on the last page.
	Older string
	// First is the first page's URL, when this is not it.
	First string
	// What the add form was given and why it was refused.
	AddEmail, AddName, AddError string
	AddConfirmed                bool
}

const subscribersPerPage = 50

func (h *handler) subscriberList(w http.ResponseWriter, r *http.Request, s *session) {
	h.showSubscribers(w, r, s, http.StatusOK, nil)
}

func (h *handler) showSubscribers(w http.ResponseWriter, r *http.Request, s *session, status int, adjust func(*subscriberListPage)) {
	q := r.URL.Query()
	p := &subscriberListPage{page: page{Title: "Subscribers", Section: "subscribers"}, Query: q.Get("q")}
	if len(p.Query) > 200 {
		p.Query = p.Query[:200]
	}
	if st := q.Get("status"); st != "" {
		var err error
		if p.Status, err = store.ParseSubscriberStatus(st); err != nil {
			p.Status = ""
		}
	}
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	ctx := r.Context()
	subs, more, err := h.app.SubscriberPage(ctx, store.SubscriberQuery{Status: p.Status, Search: p.Query, Before: before, Limit: subscribersPerPage})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	p.Subscribers = subs
	counts, err := h.app.CountSubscribers(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, st := range store.SubscriberStatuses {
		p.Statuses = append(p.Statuses, statusCount{st, counts[st]})
		p.Total += counts[st]
	}
	link := func(before int64) string {
		v := url.Values{}
		if p.Query != "" {
			v.Set("q", p.Query)
		}
		if p.Status != "" {
			v.Set("status", string(p.Status))
		}
		if before > 0 {
			v.Set("before", strconv.FormatInt(before, 10))
		}
		if len(v) == 0 {
			return "/admin/subscribers"
		}
		return "/admin/subscribers?" + v.Encode()
	}
	if more {
		p.Older = link(subs[len(subs)-1].ID)
	}
	if before > 0 {
		p.First = link(0)
	}
	if adjust != nil {
		adjust(p)
	}
	h.render(w, r, status, "subscriber_list", s, p)
}
