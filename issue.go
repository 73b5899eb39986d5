package bulletin

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/bulletin-app/bulletin/internal/shutdown"
	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/store"
)

// PublishAndSend summarizes what is new, builds the next issue, publishes the
// feeds and pages, and emails the issue. A send cut short earlier is
// finished; an issue already sent is not sent again.
func (a *App) PublishAndSend(ctx context.Context) (RunReport, error) {
	var rep RunReport
	var err error
	rep.DigestReport, err = a.Digest(ctx)
	if err != nil {
		return rep, err
	}
	// A new issue, a re-summarized article of an old one, or a public
	// folder someone emptied: the feeds and pages need writing.
	public := a.Config.Resolve(a.Config.PublicDir)
	if _, statErr := os.Stat(filepath.Join(public, "feed.atom")); rep.Issue.Number > 0 || rep.Summarized > 0 || statErr != nil {
		if _, err := a.Publish(ctx, ""); err != nil {
			return rep, err
		}
	}
	if shutdown.Requested(ctx) {
		// A send not started is taken up by the next run (unfinishedSend).
		return rep, shutdown.ErrStopped
	}
	number := rep.Issue.Number
	if number == 0 {
		number, err = a.unfinishedSend(ctx)
		if err != nil || number == 0 {
			return rep, err
		}
		a.Log.Info("finishing an earlier send", "issue", number)
	}
	sum, err := a.Send(ctx, newsletter.SendRequest{Issue: number})
	if sum.Issue != 0 {
		rep.Sent = &sum
	}
	return rep, err
}

// unfinishedSend returns the latest issue if its send was cut short or never
// started, else 0.
func (a *App) unfinishedSend(ctx context.Context) (int, error) {
	latest, err := a.Store.LatestIssue(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	counts, err := a.Store.DeliveryCounts(ctx, latest.Number)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	// Rows still pending: a send was cut short. No rows at all: the process
	// stopped between building the issue and planning its send.
	if counts[store.DeliveryPending] > 0 || total == 0 {
		return latest.Number, nil
	}
	return 0, nil
}
