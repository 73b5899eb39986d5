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

// ErrSuppressed is returned when adding, without a new opt-in, an address
// on the suppression list: erased with ForgetSubscriber, or whose owner
// complained of a message as spam. Only signing up again (a new
// confirmation) brings an erased one back.
var ErrSuppressed = errors.New("on the suppression list (erased with \"subscribers forget\", or its owner reported an issue as spam); only signing up again (a new opt-in) brings it back")

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
		if err := checkSuppressed(ctx, st, a.Address); err != nil {
			return store.Subscriber{}, err
		}
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

func checkSuppressed(ctx context.Context, st *store.Store, email string) error {
	suppressed, err := st.Suppressed(ctx, email)
	if err != nil {
		return err
	}
	if suppressed {
		return fmt.Errorf("%s: %w", email, ErrSuppressed)
	}
	return nil
}

// RemoveSubscriber unsubscribes an address, as its unsubscribe link would.
// It stays known, with its delivery history, so no import or config list
// adds it again; ForgetSubscriber erases it. changed is false if it was
// not subscribed (unsubscribed already, bounced or complained).
func RemoveSubscriber(ctx context.Context, st *store.Store, address string) (sub store.Subscriber, changed bool, err error) {
	email, err := ValidEmail(address)
	if err != nil {
		return store.Subscriber{}, false, err
	}
	if sub, err = st.SubscriberByEmail(ctx, email); err != nil {
		return store.Subscriber{}, false, err
	}
	changed, err = st.SetSubscriberStatus(ctx, sub.ID, store.StatusUnsubscribed, store.StatusPending, store.StatusConfirmed)
	if err != nil {
		return sub, false, err
	}
	if sub, err = st.Subscriber(ctx, sub.ID); err != nil {
		return sub, false, err
	}
	return sub, changed, nil
}

// ForgetSubscriber erases an address and its name (store.ForgetSubscriber):
// the ledger keeps its rows without them, and a hashed suppression entry
// keeps any import, config list or operator's add from bringing the
// address back without a new opt-in.
func ForgetSubscriber(ctx context.Context, st *store.Store, address string) error {
	email, err := ValidEmail(address)
	if err != nil {
		return err
	}
	return st.ForgetSubscriber(ctx, email)
}

// ListSubscribers calls fn for each subscriber with the given status (all
// when status is empty, else one of pending, confirmed, unsubscribed,
// bounced, complained), in the order they subscribed.
func ListSubscribers(ctx context.Context, st *store.Store, status string, fn func(store.Subscriber) error) error {
	return listSubscribers(ctx, st, status, false, func(s store.Subscriber, _ *store.SubscriberBounces) error { return fn(s) })
}

// ListSubscribersWithBounces is ListSubscribers with each subscriber's
// latest bounce or complaint and how many were reported; nil when none
// was.
func ListSubscribersWithBounces(ctx context.Context, st *store.Store, status string, fn func(store.Subscriber, *store.SubscriberBounces) error) error {
	return listSubscribers(ctx, st, status, true, fn)
}

func listSubscribers(ctx context.Context, st *store.Store, status string, bounces bool, fn func(store.Subscriber, *store.SubscriberBounces) error) error {
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
		var reports map[int64]store.SubscriberBounces
		if bounces {
			// One query for the page: the ids it spans.
			if reports, err = st.LastBounces(ctx, after, subs[len(subs)-1].ID); err != nil {
				return err
			}
		}
		for _, s := range subs {
			after = s.ID
			if store.IsForgotten(s.Email) {
				continue // no one to show: only the ledger's history points here
			}
			var b *store.SubscriberBounces
			if r, ok := reports[s.ID]; ok {
				b = &r
			}
			if err := fn(s, b); err != nil {
				return err
			}
		}
	}
}
