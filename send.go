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
// undelivered returns its summary and an error wrapping ErrUndelivered.
func (a *App) Send(ctx context.Context, req newsletter.SendRequest) (newsletter.Summary, error) {
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
