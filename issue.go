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
// finished; an issue already sent is not sent again. With review on, the
// issue is a draft: it is neither published nor emailed until an editor
// approves it.
func (a *App) PublishAndSend(ctx context.Context) (RunReport, error) {
	var rep RunReport
	var err error
	before, verr := a.Store.PublishedVersion(ctx)
	rep.DigestReport, err = a.Digest(ctx)
	if err != nil {
		return rep, err
	}
	// A new issue released, a re-summarized article of a published one, or
	// a public folder someone emptied: the feeds and pages need writing. A
	// draft changes nothing that is published.
	after, _ := a.Store.PublishedVersion(ctx)
	public := a.Config.Resolve(a.Config.PublicDir)
	if _, statErr := os.Stat(filepath.Join(public, "feed.atom")); verr != nil || after != before || statErr != nil {
		if _, err := a.Publish(ctx, "", false); err != nil {
			return rep, err
		}
	}
	if shutdown.Requested(ctx) {
		// A send not started is taken up by the next run, as unfinished.
		return rep, shutdown.ErrStopped
	}
	number := 0
	if rep.Issue.State.Released() {
		number = rep.Issue.Number
	}
	resumed := number == 0
	if resumed {
		// A send cut short, or never started, before: the issue is still
		// sending.
		number, err = a.Store.LatestSending(ctx)
		if err != nil || number == 0 {
			return rep, err
		}
		a.Log.Info("finishing an earlier send", "issue", number)
	}
	sum, err := a.SendAs(ctx, ActorIssueJob, newsletter.SendRequest{Issue: number})
	if resumed && errors.Is(err, store.ErrLocked) {
		a.Log.Info("an earlier send is under way elsewhere", "issue", number, "err", err)
		return rep, nil
	}
	if sum.Issue != 0 {
		rep.Sent = &sum
	}
	return rep, err
}
