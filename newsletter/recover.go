package newsletter

import (
	"context"
	"os"
	"path/filepath"

	"github.com/bulletin-app/bulletin/store"
)

// recoverSending deals with rows an earlier run left in "sending". For the
// outbox the answer is on disk: the file is there or not. For SMTP it is
// not knowable; the row was marked just before the end of DATA, so the
// server has almost surely accepted it, and sending again would duplicate.
func (n *Newsletter) recoverSending(ctx context.Context, issue int, sum *Summary) error {
	var after int64
	for {
		rows, err := n.st.Deliveries(ctx, issue, store.DeliverySending, false, after, 500)
		if err != nil || len(rows) == 0 {
			return err
		}
		for _, d := range rows {
			after = d.SubscriberID
			if n.opts.SMTP.Host != "" {
				sum.Unconfirmed++
			}
			if err := n.settleSending(ctx, issue, d); err != nil {
				return err
			}
		}
	}
}

// settleSending settles one row an earlier send left in "sending": for
// SMTP it stays so and is logged; for the outbox, the file says.
func (n *Newsletter) settleSending(ctx context.Context, issue int, d store.Delivery) error {
	if n.opts.SMTP.Host != "" {
		n.log.Warn("delivery left unconfirmed by an interrupted send; not sending again",
			"issue", issue, "email", d.Email, "message_id", d.MessageID)
		return nil
	}
	if _, statErr := os.Stat(filepath.Join(n.opts.OutboxDir, outboxName(issue, d.SubscriberID))); statErr == nil {
		return n.st.MarkDeliverySent(ctx, issue, d.SubscriberID)
	}
	return n.st.ReleaseDelivery(ctx, issue, d.SubscriberID, "interrupted before the outbox file was written")
}
