package newsletter

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/bulletin-app/bulletin/store"
)

// deliver sends one ledger row's message, retrying temporary failures. It
// returns an error only for what must stop the whole send (the store).
func (p *pool) deliver(ctx context.Context, wk *worker, d store.Delivery) error {
	c := wk.c
	n := p.n
	if d.SubscriberStatus != store.StatusConfirmed {
		p.record(outSkipped, "")
		return nil
	}
	msg, err := n.personalMsg(p.r, d.Email, d.Name, d.MessageID)
	if err == nil {
		err = n.setReturnPath(msg.msg, p.issue, d.SubscriberID)
	}
	if err != nil {
		if ferr := n.st.FailDelivery(ctx, p.issue, d.SubscriberID, err.Error(), false); ferr != nil {
			return ferr
		}
		p.record(outFailed, err.Error())
		return nil
	}
	defer msg.release()
	if oc, ok := c.(*outboxConn); ok {
		oc.name = func(string) string { return outboxName(p.issue, d.SubscriberID) }
	}
	from := p.from
	for attempt := 0; ; attempt++ {
		if p.limiter != nil {
			if err := p.limiter.Wait(ctx); err != nil {
				if ctx.Err() != nil {
					return nil // the send is stopping
				}
				return err // the store, for a shared rate
			}
		}
		claimed := false
		err := c.deliver(ctx, msg, d.Email, handover{start: p.lw.start, abandon: p.lw.abandon, commit: func() error {
			wk.claim = store.Claim{SubscriberID: d.SubscriberID, From: from}
			ok, err := p.lw.claim(ctx, &wk.claim, wk.reply)
			if err != nil {
				return err
			}
			if !ok {
				return errNotClaimed
			}
			claimed = true
			return nil
		}})
		if err == nil {
			// The server said 250: record it, even if the send is being
			// cancelled meanwhile. The mark is committed with the next
			// group, before this worker's next claim.
			p.lw.markSent(d.SubscriberID)
			p.record(outSent, "")
			return nil
		}
		var ce errCommit
		if errors.As(err, &ce) {
			if errors.Is(err, errNotClaimed) {
				p.record(outSkipped, "")
				return nil
			}
			if ctx.Err() != nil {
				return nil
			}
			return ce.err
		}
		var se *sendError
		if !errors.As(err, &se) {
			se = &sendError{temp: true, err: err}
		}
		if se.unknown {
			// The row stays "sending", as after a crash in the same
			// window: not sent again (see docs/delivery.md).
			n.log.Warn("delivery left unconfirmed: the connection broke before the server's reply; not sending again",
				"email", d.Email, "message_id", d.MessageID, "err", se)
			p.record(outUnconfirmed, se.Error())
			return nil
		}
		wctx := context.WithoutCancel(ctx)
		if se.temp && attempt < n.opts.Retries && ctx.Err() == nil {
			if claimed {
				if err := n.st.ReleaseDelivery(wctx, p.issue, d.SubscriberID, se.Error()); err != nil {
					return err
				}
				// Released rows are pending; an unclaimed one is still
				// where it was (failed, with --resend-failed).
				from = store.DeliveryPending
			}
			n.log.Debug("temporary failure, retrying", "email", d.Email, "attempt", attempt+1, "err", se)
			if !sleep(ctx, backoff(n.opts.RetryBackoff, attempt)) {
				return nil
			}
			continue
		}
		if se.temp && ctx.Err() != nil {
			// Stopping: leave the row for the next run.
			if claimed {
				return n.st.ReleaseDelivery(wctx, p.issue, d.SubscriberID, se.Error())
			}
			return nil
		}
		if se.temp {
			// Out of retries, but the server never refused the message
			// for good (it is down, or busy): the row stays pending, so
			// that the next run tries again, as it does after a pause.
			if claimed {
				if err := n.st.ReleaseDelivery(wctx, p.issue, d.SubscriberID, se.Error()); err != nil {
					return err
				}
			}
			n.log.Warn("delivery postponed: temporary failures outlasted the retries", "email", d.Email, "err", se)
			p.record(outFailed, se.Error())
			return nil
		}
		bounce := se.bounced()
		if err := n.st.FailDelivery(wctx, p.issue, d.SubscriberID, se.Error(), bounce); err != nil {
			return err
		}
		n.log.Warn("delivery failed", "email", d.Email, "bounced", bounce, "err", se)
		if bounce {
			p.record(outBounced, se.Error())
		} else {
			p.record(outFailed, se.Error())
		}
		return nil
	}
}

var errNotClaimed = errors.New("delivery taken by another sender")

// backoff is the wait before retry attempt+1: base doubled each time, with
// up to a quarter of jitter so that workers do not retry in step.
func backoff(base time.Duration, attempt int) time.Duration {
	d := base << min(attempt, 10)
	return d + time.Duration(rand.Int64N(int64(d)/4+1))
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
