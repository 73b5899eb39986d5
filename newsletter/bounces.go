package newsletter

import (
	"context"
	"errors"
	"fmt"

	gomail "github.com/wneessen/go-mail"

	"github.com/bulletin-app/bulletin/newsletter/bounce"
	"github.com/bulletin-app/bulletin/store"
)

// ErrUnmatched is returned for a report that names no delivery of this
// newsletter: no return path this secret signed, no Message-ID of the
// ledger (and, where the source is trusted, no subscriber's address). It
// is kept for a person to look at.
var ErrUnmatched = errors.New("names no delivery of this newsletter")

// setReturnPath gives a ledger row's message its VERP envelope sender,
// when a return path domain is configured. The header's From stays.
func (n *Newsletter) setReturnPath(msg *gomail.Msg, issue int, subscriberID int64) error {
	if n.returnPaths.Domain == "" {
		return nil
	}
	return msg.EnvelopeFrom(n.returnPaths.Address(issue, subscriberID))
}

// ReturnPath is the envelope sender of a ledger row's message: its VERP
// address, or the From address when no return path domain is set.
func (n *Newsletter) ReturnPath(issue int, subscriberID int64) string {
	if n.returnPaths.Domain == "" {
		return n.from.Address
	}
	return n.returnPaths.Address(issue, subscriberID)
}

// Match says how a report found its delivery.
type Match string

const (
	ByReturnPath Match = "return path"
	ByMessageID  Match = "message-id"
	ByAddress    Match = "address"
)

// BounceResult is what a report did.
type BounceResult struct {
	Event bounce.Event
	// By is how the delivery was found; Delivery is it.
	By       Match
	Delivery store.Delivery
	// Outcome is what recording it did; zero for a report of Kind None,
	// which is not recorded.
	Outcome store.BounceOutcome
}

// String says what happened, for a person.
func (r BounceResult) String() string {
	d := r.Delivery
	what := fmt.Sprintf("issue #%d to %s (found by %s)", d.IssueNumber, d.Email, r.By)
	switch {
	case r.Event.Kind == bounce.None:
		return fmt.Sprintf("%s report on %s: nothing to do (%s)", r.Event.Format, what, r.Event.Reason)
	case r.Outcome.Duplicate:
		return fmt.Sprintf("%s %s on %s: recorded before, nothing more done", r.Event.Kind, kindNoun(r.Event.Kind), what)
	}
	out := fmt.Sprintf("%s %s on %s", r.Event.Kind, kindNoun(r.Event.Kind), what)
	if r.Event.Status != "" {
		out += " " + r.Event.Status
	}
	if r.Outcome.Changed() {
		out += fmt.Sprintf(": subscriber %s, was %s", r.Outcome.After, r.Outcome.Before)
	} else {
		out += fmt.Sprintf(": subscriber stays %s", r.Outcome.After)
	}
	if r.Event.Kind == bounce.Soft {
		out += fmt.Sprintf(" (%d in a row)", r.Outcome.SoftInARow)
	}
	return out
}

func kindNoun(k bounce.Kind) string {
	if k == bounce.Complaint {
		return "report"
	}
	return "bounce"
}

// HandleBounce finds the delivery a report is about and records it (see
// store.RecordBounce for what that does to the subscriber): by its VERP
// return path, else by the Message-ID it quotes, else (only with
// byAddress) by its recipient's address. byAddress is for authenticated
// sources, a sending service's signed webhook: anyone can mail the bounce
// mailbox, but no one can sign a return path or guess a Message-ID.
//
// It returns ErrUnmatched when no delivery is found; a report that is
// found and says nothing to act on (Kind None) is not recorded.
func (n *Newsletter) HandleBounce(ctx context.Context, ev bounce.Event, byAddress bool) (BounceResult, error) {
	res := BounceResult{Event: ev}
	d, by, err := n.findDelivery(ctx, ev, byAddress)
	if err != nil {
		return res, err
	}
	res.Delivery, res.By = d, by
	if ev.Kind == bounce.None {
		return res, nil
	}
	if ev.ID == "" {
		return res, errors.New("a report without an id cannot be recorded once")
	}
	res.Outcome, err = n.st.RecordBounce(ctx, store.BounceEvent{
		IssueNumber: d.IssueNumber, SubscriberID: d.SubscriberID,
		Kind: store.BounceKind(ev.Kind), Source: ev.Source, ReportID: ev.ID,
		Status: ev.Status, Detail: ev.Diagnostic, ReportedAt: ev.At,
	}, n.opts.Bounces.SoftLimit)
	if errors.Is(err, store.ErrNotFound) {
		// The row went between finding and recording (its ledger was
		// forgotten).
		return res, fmt.Errorf("%w: %v", ErrUnmatched, err)
	}
	if err != nil {
		return res, err
	}
	if !res.Outcome.Duplicate {
		n.log.Info("bounce recorded", "kind", ev.Kind, "source", ev.Source, "issue", d.IssueNumber, "email", d.Email,
			"status", ev.Status, "by", string(by), "subscriber", string(res.Outcome.After), "changed", res.Outcome.Changed(),
			"reason", ev.Reason)
	}
	return res, nil
}

func (n *Newsletter) findDelivery(ctx context.Context, ev bounce.Event, byAddress bool) (store.Delivery, Match, error) {
	for _, rp := range ev.ReturnPaths {
		issue, sub, ok := n.returnPaths.Parse(rp)
		if !ok {
			continue
		}
		d, err := n.st.Delivery(ctx, issue, sub)
		if err == nil {
			return d, ByReturnPath, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return d, "", err
		}
	}
	if ev.MessageID != "" {
		d, err := n.st.DeliveryByMessageID(ctx, ev.MessageID)
		if err == nil {
			return d, ByMessageID, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return d, "", err
		}
	}
	if byAddress && ev.Recipient != "" {
		d, err := n.st.LatestDeliveryTo(ctx, ev.Recipient)
		if err == nil {
			return d, ByAddress, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return d, "", err
		}
	}
	return store.Delivery{}, "", ErrUnmatched
}
