package newsletter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bulletin-app/bulletin/store"
)

// Subscribed says what Subscribe did, for an operator; the sign-up form
// shows the same whatever it is, so as not to tell who is subscribed.
type Subscribed int

const (
	// ConfirmationSent: a confirmation link went out; the address is
	// pending (or stays unsubscribed) until it is followed.
	ConfirmationSent Subscribed = iota
	// AlreadyConfirmed: the address is subscribed; nothing was sent.
	AlreadyConfirmed
	// ConfirmationRecent: a link went out less than ConfirmResendAfter
	// ago; no other was sent.
	ConfirmationRecent
	// NotSubscribable: the address bounced or complained; nothing was
	// sent.
	NotSubscribable
)

// Subscribe starts a double opt-in: a new address is stored as pending and
// sent a confirmation link. Subscribing again is harmless: a pending or
// unsubscribed address gets a new link (at most one per ConfirmResendAfter),
// a confirmed one nothing. An address erased with ForgetSubscriber may
// sign up again: the confirmation is the new opt-in. Only an invalid
// address is an error the sign-up form should show (it wraps
// ErrInvalidAddress); what happened is for operators only.
func (n *Newsletter) Subscribe(ctx context.Context, address, name string) (Subscribed, error) {
	return n.subscribe(ctx, address, name, false)
}

// subscribe is Subscribe; retry says that an earlier attempt recorded a
// confirmation it could not send, which the resend window then does not
// hold back.
func (n *Newsletter) subscribe(ctx context.Context, address, name string, retry bool) (Subscribed, error) {
	a, err := ParseAddress(address)
	if err != nil {
		return 0, err
	}
	if name == "" {
		name = a.Name
	}
	name = cleanName(name)
	sub, _, err := n.st.AddSubscriber(ctx, a.Address, name, store.StatusPending)
	if err != nil {
		return 0, err
	}
	switch sub.Status {
	case store.StatusPending, store.StatusUnsubscribed:
	case store.StatusConfirmed:
		return AlreadyConfirmed, nil
	default:
		return NotSubscribable, nil
	}
	now := time.Now()
	if !retry && !sub.ConfirmSentAt.IsZero() && now.Sub(sub.ConfirmSentAt) < n.opts.ConfirmResendAfter {
		return ConfirmationRecent, nil
	}
	// Recorded before sending: a failed send then waits like a sent one
	// rather than letting a flood of requests through.
	if err := n.st.MarkConfirmationSent(ctx, sub.ID, now); err != nil {
		return 0, err
	}
	return ConfirmationSent, n.sendConfirmation(ctx, sub, now)
}

// ConfirmResendAfter is the least time between two confirmation emails to
// one address.
func (n *Newsletter) ConfirmResendAfter() time.Duration { return n.opts.ConfirmResendAfter }

func (n *Newsletter) sendConfirmation(ctx context.Context, sub store.Subscriber, now time.Time) error {
	expires := now.Add(n.opts.ConfirmTTL)
	token := signToken(n.opts.Secret, purposeConfirm, confirmSubject(sub), expires)
	// The name is not in it: it is whatever the visitor typed, and the
	// message goes to an address they need not own, so a name would let
	// anyone send their text ("cheap pills at https://...") to anyone.
	// Issues, which only a confirmed address gets, greet by name.
	data := ConfirmData{
		Site:       n.siteData(),
		Subscriber: SubscriberData{Email: sub.Email},
		ConfirmURL: n.pageURL("/confirm", token),
		Expires:    expires,
		Theme:      n.opts.Theme,
	}
	var hb, tb bytes.Buffer
	if err := n.tmpl.confirmHTML.Execute(&hb, data); err != nil {
		return fmt.Errorf("render %s: %w", confirmHTMLTemplate, err)
	}
	if err := n.tmpl.confirmText.Execute(&tb, data); err != nil {
		return fmt.Errorf("render %s: %w", confirmTextTemplate, err)
	}
	htmlBody, err := inlineCSS(hb.String())
	if err != nil {
		return err
	}
	to, err := ParseAddress(sub.Email)
	if err != nil {
		return err
	}
	to.Name = "" // not in the To header either
	subject := "Confirm your subscription"
	if data.Site.Title != "" {
		subject += " to " + data.Site.Title
	}
	msg, err := n.buildMsg(message{to: to, messageID: n.newMessageID("confirm"), subject: cleanName(subject),
		html: stringPart(htmlBody), text: stringPart(tb.String())})
	if err != nil {
		return err
	}
	file := fmt.Sprintf("confirm-%d-%d.eml", sub.ID, now.UnixNano())
	return n.deliverOne(ctx, msg, sub.Email, file)
}

// ErrTokenUsed is returned for a confirmation link that was used already,
// or made before the subscriber's state last changed (an unsubscribe, say):
// it wraps ErrBadToken.
var ErrTokenUsed = fmt.Errorf("%w: used already, or the subscription changed since it was sent", ErrBadToken)

// confirmSubject is what a confirmation token names: the address, and the
// time its subscriber's state last changed. Any change of state (this
// link's own confirmation, an unsubscribe, a bounce) voids every link made
// before it, so a link is good for one state change only, and a link from
// before an unsubscribe cannot subscribe the address again.
func confirmSubject(sub store.Subscriber) string {
	return sub.Email + "\n" + strconv.FormatInt(sub.UpdatedAt.UnixMicro(), 10)
}

// CheckConfirmToken returns the subscriber a confirmation link is for, if
// it still works, without acting on it: the page a GET shows asks the
// person to press a button, since mail scanners fetch every link.
func (n *Newsletter) CheckConfirmToken(ctx context.Context, token string) (store.Subscriber, error) {
	subject, err := verifyToken(n.opts.Secret, purposeConfirm, token, time.Now())
	if err != nil {
		return store.Subscriber{}, err
	}
	email, stamp, ok := strings.Cut(subject, "\n")
	if !ok {
		return store.Subscriber{}, ErrBadToken // made before links had a state stamp
	}
	sub, err := n.st.SubscriberByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		// Removed since: the link is no good any more.
		return store.Subscriber{}, ErrTokenUsed
	}
	if err != nil {
		return store.Subscriber{}, err
	}
	if stamp != strconv.FormatInt(sub.UpdatedAt.UnixMicro(), 10) {
		return sub, ErrTokenUsed
	}
	return sub, nil
}

// Confirm confirms the subscription a confirmation token was made for: the
// POST of the page a GET of the link shows. The token is then void.
func (n *Newsletter) Confirm(ctx context.Context, token string) (store.Subscriber, error) {
	sub, err := n.CheckConfirmToken(ctx, token)
	if err != nil {
		return sub, err
	}
	if sub.Status != store.StatusPending && sub.Status != store.StatusUnsubscribed {
		return sub, nil // bounced or complained: not from here
	}
	// Only from the state the token was checked in: a state change since
	// then (an unsubscribe a moment ago) wins.
	changed, err := n.st.SetSubscriberStatus(ctx, sub.ID, store.StatusConfirmed, sub.Status)
	if err != nil {
		return store.Subscriber{}, err
	}
	if !changed {
		return sub, ErrTokenUsed
	}
	sub, err = n.st.Subscriber(ctx, sub.ID)
	if err != nil {
		return sub, err
	}
	// The welcome goes out in the background, from the queue the
	// confirmations go through: bounded, and kept across restarts.
	if err := n.st.QueueWelcome(ctx, sub.Email, sub.Name); err != nil {
		n.log.Warn("no welcome email: cannot queue it", "subscriber", sub.Email, "error", err)
	} else {
		n.wakeSignups()
	}
	return sub, nil
}

// Unsubscribe ends the subscription an unsubscribe token was made for. It is
// idempotent, and succeeds for an address that is no longer stored.
func (n *Newsletter) Unsubscribe(ctx context.Context, token string) (email string, err error) {
	email, err = verifyToken(n.opts.Secret, purposeUnsubscribe, token, time.Now())
	if err != nil {
		return "", err
	}
	sub, err := n.st.SubscriberByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return email, nil
	}
	if err != nil {
		return "", err
	}
	if _, err := n.st.SetSubscriberStatus(ctx, sub.ID, store.StatusUnsubscribed, store.StatusPending, store.StatusConfirmed); err != nil {
		return "", err
	}
	return email, nil
}

// CheckUnsubscribeToken says whose unsubscribe link token is, without
// acting on it: the page that asks "unsubscribe?" shows the address.
func (n *Newsletter) CheckUnsubscribeToken(token string) (string, error) {
	return verifyToken(n.opts.Secret, purposeUnsubscribe, token, time.Now())
}
