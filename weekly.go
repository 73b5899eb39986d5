package bulletin

import (
	"context"
	"errors"

	"github.com/bulletin-app/bulletin/newsletter"
)

// SendWeekly builds the weekly digest of the issues of the week up to now
// that no earlier digest covered, and emails it to the subscribers who
// chose a weekly digest (and are not paused), once each; with no issue
// this week it finishes the send of the last digest if one was cut short.
// A Summary with Issue 0 says there was nothing to send.
func (a *App) SendWeekly(ctx context.Context) (newsletter.Summary, error) {
	n, err := a.Newsletter()
	if err != nil {
		return newsletter.Summary{}, err
	}
	number := 0
	w, err := n.BuildWeekly(ctx, a.now())
	switch {
	case errors.Is(err, newsletter.ErrNoWeekly):
		if number, err = n.UnfinishedWeekly(ctx); err != nil || number == 0 {
			return newsletter.Summary{}, err
		}
		a.Log.Info("finishing an earlier weekly digest", "weekly", -number)
	case err != nil:
		return newsletter.Summary{}, err
	default:
		number = w.Number
		a.Log.Info("weekly digest built", "weekly", -w.Number, "issues", w.LastIssue-w.FirstIssue+1)
	}
	return a.Send(ctx, newsletter.SendRequest{Issue: number})
}
