package newsletter

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bulletin-app/bulletin/store"
)

// ErrExists is returned when adding an address that is already subscribed.
var ErrExists = errors.New("already subscribed")

// AddSubscriber adds one address as the operator asks: pending (the
// subscriber must still confirm, e.g. after Newsletter.Subscribe) or, with
// confirmed, straight to confirmed for lists the operator vouches for. The
// address may carry a name ("Jane <jane@example.org>"); name, if not empty,
// takes its place.
func AddSubscriber(ctx context.Context, st *store.Store, address, name string, confirmed bool) (store.Subscriber, error) {
	a, err := ParseAddress(address)
	if err != nil {
		return store.Subscriber{}, err
	}
	if name == "" {
		name = a.Name
	}
	if err := checkHeaderText("name", name); err != nil {
		return store.Subscriber{}, err
	}
	status := store.StatusPending
	if confirmed {
		status = store.StatusConfirmed
	}
	sub, created, err := st.AddSubscriber(ctx, a.Address, strings.TrimSpace(name), status)
	if err != nil {
		return store.Subscriber{}, err
	}
	if !created {
		return sub, fmt.Errorf("%s: %w (status %s)", sub.Email, ErrExists, sub.Status)
	}
	return sub, nil
}

// RemoveSubscriber deletes a subscriber and their delivery history.
func RemoveSubscriber(ctx context.Context, st *store.Store, address string) error {
	email, err := ValidEmail(address)
	if err != nil {
		return err
	}
	return st.RemoveSubscriber(ctx, email)
}

// ListSubscribers calls fn for each subscriber with the given status (all
// when status is empty, else one of pending, confirmed, unsubscribed,
// bounced, complained), in the order they subscribed.
func ListSubscribers(ctx context.Context, st *store.Store, status string, fn func(store.Subscriber) error) error {
	var want store.SubscriberStatus
	if status != "" {
		var err error
		if want, err = store.ParseSubscriberStatus(status); err != nil {
			return err
		}
	}
	var after int64
	for {
		subs, err := st.Subscribers(ctx, want, after, 1000)
		if err != nil || len(subs) == 0 {
			return err
		}
		for _, s := range subs {
			if err := fn(s); err != nil {
				return err
			}
			after = s.ID
		}
	}
}
