package bulletin

import (
	"context"
	"errors"
	"fmt"

	"github.com/bulletin-app/bulletin/digest"
	"github.com/bulletin-app/bulletin/store"
)

// DigestReport counts what one digest run did.
type DigestReport struct {
	Summarized int
	Problems   []digest.Problem
	// Issue is the issue built, zero-numbered when there was nothing new
	// or an issue awaits review; with review on, it is a draft.
	Issue store.Issue
	// AwaitingReview is the issue (a draft, or scheduled) that held the
	// next back, or 0.
	AwaitingReview int
	// Waiting counts the entries left for the next issues
	// (digest.max_entries), Dropped those left out of every issue.
	Waiting, Dropped int
}

// Digest summarizes new and changed articles and puts the new entries into
// the next issue. An issue with no entries is built only when config says so.
func (a *App) Digest(ctx context.Context) (DigestReport, error) {
	var rep DigestReport
	var err error
	rep.Summarized, rep.Problems, err = digest.SummarizeNew(ctx, a.Store, a.summarizer, func(done, total int) {
		a.progress("summarize", done, total)
	})
	for _, p := range rep.Problems {
		a.Log.Warn("not summarized", "article", p.Title, "err", p.Err)
	}
	if err != nil {
		return rep, err
	}
	d := a.Config.Digest
	built, err := digest.BuildIssue(ctx, a.Store, digest.IssueOptions{
		Title:      a.issueTitle,
		Draft:      d.Review,
		BuildEmpty: d.BuildEmptyIssues,
		MaxEntries: d.MaxEntries,
		Overflow:   digest.Overflow(d.Overflow),
		MaxAge:     d.MaxAge,
		Now:        a.now,
	})
	rep.Issue, rep.Waiting, rep.Dropped = built.Issue, built.Waiting, built.Dropped
	if rep.Dropped > 0 {
		a.Log.Info("entries left out of every issue", "dropped", rep.Dropped, "max_entries", d.MaxEntries, "max_age", d.MaxAge)
	}
	if errors.Is(err, digest.ErrNothingNew) {
		a.Log.Info("no new entries: no issue built", "summarized", rep.Summarized)
		return rep, nil
	}
	if errors.Is(err, store.ErrAwaitingReview) {
		rep.AwaitingReview, _ = a.Store.IssueAwaitingReview(ctx)
		a.Log.Info("an issue awaits review: no new issue built; the new entries wait for the one after it",
			"awaiting", rep.AwaitingReview, "summarized", rep.Summarized)
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	detail := plural(len(rep.Issue.Entries), "entry", "entries") + ", released"
	if rep.Issue.State == store.IssueDraft {
		detail = plural(len(rep.Issue.Entries), "entry", "entries") + ", a draft for review"
	}
	if err := a.Store.AddAudit(ctx, store.AuditEntry{Actor: ActorIssueJob, Action: store.AuditIssueBuilt, Issue: rep.Issue.Number, Detail: detail}); err != nil {
		a.Log.Warn("cannot write the audit log", "err", err)
	}
	a.Log.Info("issue built", "issue", rep.Issue.Number, "state", rep.Issue.State, "entries", len(rep.Issue.Entries),
		"summarized", rep.Summarized, "waiting", rep.Waiting)
	return rep, nil
}

func (a *App) issueTitle(n int) string {
	return fmt.Sprintf("%s #%d, %s", a.Config.Site.Title, n, a.now().UTC().Format("2 January 2006"))
}
