package newsletter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bulletin-app/bulletin/store"
)

// purposePreferences is the purpose of the links to the preferences page:
// signed like the unsubscribe links, and like them good for ever, since
// they are in every email.
const purposePreferences = "preferences"

// MaxPause is the longest pause a reader can ask for.
const MaxPause = 366 * 24 * time.Hour

// ErrNotSubscribed is returned by SetPreferences for an address that is
// not (or no longer) a confirmed subscriber: there is nothing to set.
var ErrNotSubscribed = errors.New("not subscribed")

// ErrBadPreferences is wrapped by the error of SetPreferences for a choice
// that cannot be: an unknown cadence, a pause that ends in the past or
// too far ahead. Its message can be shown to the reader.
var ErrBadPreferences = errors.New("not saved")

// PreferencesToken returns the token of email's link to the preferences
// page.
func (n *Newsletter) PreferencesToken(email string) string {
	return signToken(n.opts.Secret, purposePreferences, email, time.Time{})
}

// PreferencesURL is email's link to the preferences page.
func (n *Newsletter) PreferencesURL(email string) string {
	return n.pageURL("/preferences", n.PreferencesToken(email))
}

// Preferences returns the subscriber a preferences link is for, without
// changing anything: the page a GET shows.
func (n *Newsletter) Preferences(ctx context.Context, token string) (store.Subscriber, error) {
	email, err := verifyToken(n.opts.Secret, purposePreferences, token, time.Now())
	if err != nil {
		return store.Subscriber{}, err
	}
	sub, err := n.st.SubscriberByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return store.Subscriber{Email: email}, ErrNotSubscribed
	}
	return sub, err
}

// SetPreferences records what the reader chose on the preferences page: a
// cadence (every issue, or the weekly digest) and a pause until a time
// (zero: none), which must be in the future and at most MaxPause away.
func (n *Newsletter) SetPreferences(ctx context.Context, token string, cadence store.Cadence, pausedUntil time.Time) (store.Subscriber, error) {
	sub, err := n.Preferences(ctx, token)
	if err != nil {
		return sub, err
	}
	if sub.Status != store.StatusConfirmed {
		return sub, ErrNotSubscribed
	}
	if cadence != store.CadenceIssue && cadence != store.CadenceWeekly {
		return sub, fmt.Errorf("%w: unknown cadence %q", ErrBadPreferences, cadence)
	}
	if now := time.Now(); !pausedUntil.IsZero() && (!pausedUntil.After(now) || pausedUntil.Sub(now) > MaxPause) {
		return sub, fmt.Errorf("%w: a pause ends after today and within a year, not on %s", ErrBadPreferences, pausedUntil.Format("2 January 2006"))
	}
	if err := n.st.SetPreferences(ctx, sub.ID, cadence, pausedUntil); err != nil {
		return sub, err
	}
	n.log.Info("preferences changed", "subscriber", sub.Email, "cadence", cadence, "paused_until", pausedUntil)
	return n.st.Subscriber(ctx, sub.ID)
}
