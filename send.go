package bulletin

import (
	"context"
	"errors"
	"fmt"

	"github.com/bulletin-app/bulletin/newsletter"
)

// ErrUndelivered is wrapped by the error of a send that ran but did not
// deliver every message: some failed, stayed pending after their retries,
// or were left unconfirmed. The command line exits with its own code for
// it, so that cron and systemd tell the operator.
var ErrUndelivered = errors.New("not every message was delivered")

// Send delivers an issue as req says. A send that ran but left messages
// undelivered returns its summary and an error wrapping ErrUndelivered. An
// issue that is a draft or scheduled is mailed to nobody (the error wraps
// ErrWrongState): only a dry run or a test copy (req.To) of it is made.
func (a *App) Send(ctx context.Context, req newsletter.SendRequest) (newsletter.Summary, error) {
	return a.SendAs(ctx, ActorBulletin, req)
}

// SendAs is Send on behalf of actor, whom the audit log names for the end
// of the send, or for why it stopped short.
func (a *App) SendAs(ctx context.Context, actor string, req newsletter.SendRequest) (newsletter.Summary, error) {
	n, err := a.Newsletter()
	if err != nil {
		return newsletter.Summary{}, err
	}
	if err := a.AddConfiguredSubscribers(ctx); err != nil {
		return newsletter.Summary{}, err
	}
	if req.Progress == nil && a.SendProgress != nil {
		req.Progress = a.SendProgress
	}
	sum, err := n.Send(ctx, req)
	if !req.DryRun && req.To == "" && sum.Issue != 0 {
		a.recordSend(ctx, actor, sum, err)
	}
	if err == nil && sum.Undelivered() > 0 {
		err = undelivered(sum)
	}
	return sum, err
}

func undelivered(s newsletter.Summary) error {
	if s.DryRun {
		return fmt.Errorf("issue %d: %s could not be rendered: %w", s.Issue, plural(s.Failed, "message", "messages"), ErrUndelivered)
	}
	return fmt.Errorf("issue %d: %s, %s still pending, %s left unconfirmed (see bulletin status): %w",
		s.Issue, plural(s.Failed, "message failed", "messages failed"), plural(s.Remaining, "message", "messages"),
		plural(s.NewUnconfirmed, "message", "messages"), ErrUndelivered)
}

// plural writes n with the word that goes with it: "1 entry", "2 entries".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
