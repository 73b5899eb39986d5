package newsletter

import (
	"context"
	"errors"
	"fmt"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// sendTest sends one [TEST] copy of the issue to addr, outside the ledger.
func (n *Newsletter) sendTest(ctx context.Context, is mailing, to string) error {
	addr, err := ParseAddress(to)
	if err != nil {
		return err
	}
	r, err := n.renderIssue(is, true)
	if err != nil {
		return err
	}
	msg, err := n.personalMsg(r, addr.Address, addr.Name, n.newMessageID(fmt.Sprintf("test.%d", is.Number)))
	if err != nil {
		return err
	}
	name := fmt.Sprintf("test-issue-%04d-%d-%s.eml", is.Number, time.Now().UnixNano(), safeFileText(addr.Address))
	return n.deliverOne(ctx, msg, addr.Address, name)
}

// deliverOne sends a single message outside the ledger, retrying temporary
// failures like a send does.
func (n *Newsletter) deliverOne(ctx context.Context, msg *outgoing, rcpt, outboxFile string) error {
	var client *gomail.Client
	if n.opts.SMTP.Host != "" {
		var err error
		if client, err = n.newSMTPClient(); err != nil {
			return err
		}
	}
	c := n.newConn(client, func(string) string { return outboxFile })
	defer c.close()
	defer msg.release()
	for attempt := 0; ; attempt++ {
		err := c.deliver(ctx, msg, rcpt, handover{commit: func() error { return nil }})
		var se *sendError
		if err == nil || !errors.As(err, &se) || !se.temp || attempt >= n.opts.Retries {
			if err != nil {
				return fmt.Errorf("send to %s: %w", rcpt, err)
			}
			return nil
		}
		if !sleep(ctx, backoff(n.opts.RetryBackoff, attempt)) {
			return ctx.Err()
		}
	}
}
