package newsletter

import (
	"context"

	"github.com/bulletin-app/bulletin/store"
)

// dryRun renders every message that a send would and counts them.
func (n *Newsletter) dryRun(ctx context.Context, issue int, r *rendered, sum *Summary) error {
	// A send sends only pending rows: sent, failed and unconfirmed ones are
	// not counted as to send.
	done := map[int64]bool{}
	for _, status := range []store.DeliveryStatus{store.DeliverySent, store.DeliveryFailed, store.DeliverySending} {
		var after int64
		for {
			rows, err := n.st.Deliveries(ctx, issue, status, false, after, 1000)
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				break
			}
			for _, d := range rows {
				done[d.SubscriberID] = true
				after = d.SubscriberID
			}
			if status == store.DeliverySent {
				sum.AlreadySent += len(rows)
			}
		}
	}
	var after int64
	for {
		subs, err := n.st.Subscribers(ctx, store.StatusConfirmed, after, 1000)
		if err != nil {
			return err
		}
		if len(subs) == 0 {
			return nil
		}
		for _, s := range subs {
			after = s.ID
			if done[s.ID] {
				continue
			}
			msg, err := n.personalMsg(r, s.Email, s.Name, n.newMessageID("dryrun"))
			if err == nil {
				err = n.writeMsg(discard{}, msg)
				msg.release()
			}
			if err != nil {
				sum.Failed++
				n.log.Warn("cannot render message", "email", s.Email, "err", err)
				continue
			}
			sum.Total++
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
