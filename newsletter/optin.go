package newsletter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bulletin-app/bulletin/store"
)

// Subscribe starts a double opt-in: a new address is stored as pending and
// sent a confirmation link. Subscribing again is harmless: a pending or
// unsubscribed address gets a new link (at most one per ConfirmResendAfter),
// a confirmed one nothing. The result does not depend on whether the
// address was known; only an invalid address is an error the caller should
// show (it wraps ErrInvalidAddress).
func (n *Newsletter) Subscribe(ctx context.Context, address, name string) error {
	a, err := ParseAddress(address)
	if err != nil {
		return err
	}
	if name == "" {
		name = a.Name
	}
	name = cleanName(name)
	sub, _, err := n.st.AddSubscriber(ctx, a.Address, name, store.StatusPending)
	if err != nil {
		return err
	}
	switch sub.Status {
	case store.StatusPending, store.StatusUnsubscribed:
	default:
		return nil
	}
	now := time.Now()
	if !sub.ConfirmSentAt.IsZero() && now.Sub(sub.ConfirmSentAt) < n.opts.ConfirmResendAfter {
		return nil
	}
	// Recorded before sending: a failed send then waits like a sent one
	// rather than letting a flood of requests through.
	if err := n.st.MarkConfirmationSent(ctx, sub.ID, now); err != nil {
		return err
	}
	return n.sendConfirmation(ctx, sub, now)
}

func (n *Newsletter) sendConfirmation(ctx context.Context, sub store.Subscriber, now time.Time) error {
	expires := now.Add(n.opts.ConfirmTTL)
	token := signToken(n.opts.Secret, purposeConfirm, sub.Email, expires)
	data := ConfirmData{
		Site:       Site{Title: n.opts.SiteTitle, URL: n.site.String()},
		Subscriber: SubscriberData{Email: sub.Email, Name: sub.Name},
		ConfirmURL: n.pageURL("/confirm", token),
		Expires:    expires,
	}
	if data.Site.Title == "" {
		data.Site.Title = n.from.Name
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
	to.Name = sub.Name
	subject := "Confirm your subscription"
	if data.Site.Title != "" {
		subject += " to " + data.Site.Title
	}
	msg, err := n.buildMsg(message{to: to, messageID: n.newMessageID("confirm"), subject: cleanName(subject),
		html: htmlBody, text: tb.String()})
	if err != nil {
		return err
	}
	file := fmt.Sprintf("confirm-%d-%d.eml", sub.ID, now.UnixNano())
	return n.deliverOne(ctx, msg, sub.Email, file)
}

// Confirm confirms the subscription a confirmation token was made for.
// Confirming twice is harmless.
func (n *Newsletter) Confirm(ctx context.Context, token string) (store.Subscriber, error) {
	email, err := verifyToken(n.opts.Secret, purposeConfirm, token, time.Now())
	if err != nil {
		return store.Subscriber{}, err
	}
	sub, err := n.st.SubscriberByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		// Removed since: the link is no good any more.
		return store.Subscriber{}, ErrBadToken
	}
	if err != nil {
		return store.Subscriber{}, err
	}
	if _, err := n.st.SetSubscriberStatus(ctx, sub.ID, store.StatusConfirmed, store.StatusPending, store.StatusUnsubscribed); err != nil {
		return store.Subscriber{}, err
	}
	return n.st.Subscriber(ctx, sub.ID)
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
