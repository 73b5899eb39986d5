package bulletin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bulletin-app/bulletin/internal/shutdown"
	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/schedule"
	"github.com/bulletin-app/bulletin/store"
)

// RunReport tells what one run did.
type RunReport struct {
	Collect CollectReport
	// Bounces is what reading the bounce mailbox did, when there is one.
	Bounces BounceReport
	DigestReport
	// Sent is the send of the issue, when there was one to send.
	Sent *newsletter.Summary
	// Skipped holds, by job, why a job did not run: another live
	// process was running it.
	Skipped map[string]error
}

func (r RunReport) String() string {
	var b strings.Builder
	if err := r.Skipped[JobCollect]; err != nil {
		fmt.Fprintf(&b, "collected: nothing: skipped, %s\n", skippedBecause(err))
	} else {
		fmt.Fprintf(&b, "collected: %s\n", r.Collect)
	}
	if r.Bounces.ran {
		fmt.Fprintf(&b, "bounces: %s\n", r.Bounces)
	}
	if err := r.Skipped[JobIssue]; err != nil {
		fmt.Fprintf(&b, "issue: skipped, %s", skippedBecause(err))
		return b.String()
	}
	fmt.Fprintf(&b, "summarized: %d", r.Summarized)
	if len(r.Problems) > 0 {
		fmt.Fprintf(&b, " (%d could not be)", len(r.Problems))
	}
	b.WriteString("\n")
	switch {
	case r.Issue.Number > 0 && r.Issue.State == store.IssueDraft:
		fmt.Fprintf(&b, "issue: #%d with %s, a draft for review (bulletin issues show %d)\n", r.Issue.Number, plural(len(r.Issue.Entries), "entry", "entries"), r.Issue.Number)
	case r.Issue.Number > 0:
		fmt.Fprintf(&b, "issue: #%d with %s\n", r.Issue.Number, plural(len(r.Issue.Entries), "entry", "entries"))
	case r.AwaitingReview > 0:
		fmt.Fprintf(&b, "issue: none (issue #%d awaits review)\n", r.AwaitingReview)
	default:
		b.WriteString("issue: none (nothing new)\n")
	}
	if r.Sent != nil {
		fmt.Fprintf(&b, "sent: %s", r.Sent)
	} else {
		b.WriteString("sent: nothing")
	}
	return b.String()
}

// CollectNow runs the collect job once, by hand: as Collect, recorded as
// the job's run (bulletin status shows it) and never overlapping a
// scheduled collect, in this process or another.
func (a *App) CollectNow(ctx context.Context) (CollectReport, error) {
	var rep RunReport
	err := a.runNow(ctx, JobCollect, &rep)
	return rep.Collect, err
}

// runNow runs one job by hand, as the scheduler would (recorded as its
// run, under its lease), with what it did in rep.
func (a *App) runNow(ctx context.Context, job string, rep *RunReport) error {
	sched, err := a.scheduler(a.jobs(rep, true), nil)
	if err != nil {
		return err
	}
	jobCtx, cancel := shutdown.WithGrace(ctx, shutdownGrace)
	defer cancel()
	_, err = sched.RunNow(jobCtx, job)
	return err
}

// Run collects, reads the bounce mailbox (when there is one), then
// publishes and sends: the whole pipeline once. It runs
// the scheduler's jobs, so a run by hand is recorded as theirs and never
// overlaps a scheduled run, in this process or another.
//
// When ctx ends, no further job starts and the one running gets
// shutdownGrace to finish, as in serve.
func (a *App) Run(ctx context.Context) (RunReport, error) {
	var rep RunReport
	sched, err := a.scheduler(a.jobs(&rep, true), nil)
	if err != nil {
		return rep, err
	}
	jobCtx, cancel := shutdown.WithGrace(ctx, shutdownGrace)
	defer cancel()
	_, collectErr := sched.RunNow(jobCtx, JobCollect)
	rep.skipped(JobCollect, collectErr)
	if ctx.Err() != nil {
		return rep, errors.Join(collectErr, ctx.Err())
	}
	// Bounces before the send, so that it skips the addresses they
	// report; a mailbox that cannot be read holds back nothing.
	var bouncesErr error
	if a.Config.Newsletter.Bounces.Mailbox.Host != "" {
		_, bouncesErr = sched.RunNow(jobCtx, JobBounces)
		if ctx.Err() != nil {
			return rep, errors.Join(collectErr, bouncesErr, ctx.Err())
		}
	}
	// A failed source does not hold back the others' news.
	_, issueErr := sched.RunNow(jobCtx, JobIssue)
	rep.skipped(JobIssue, issueErr)
	return rep, errors.Join(collectErr, bouncesErr, issueErr)
}

// skipped notes job as skipped when err says another process runs it.
func (r *RunReport) skipped(job string, err error) {
	if errors.Is(err, store.ErrLocked) || errors.Is(err, schedule.ErrRunning) {
		if r.Skipped == nil {
			r.Skipped = map[string]error{}
		}
		r.Skipped[job] = err
	}
}

// skippedBecause says why a job that another process holds did not run.
func skippedBecause(err error) string {
	if errors.Is(err, schedule.ErrRunning) {
		return "it is running in this process already"
	}
	return "another process is running it: " + err.Error()
}
