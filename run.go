package bulletin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bulletin-app/bulletin/internal/shutdown"
	"github.com/bulletin-app/bulletin/newsletter"
)

// RunReport tells what one run did.
type RunReport struct {
	Collect CollectReport
	DigestReport
	// Sent is the send of the issue, when there was one to send.
	Sent *newsletter.Summary
}

func (r RunReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "collected: %s\n", r.Collect)
	fmt.Fprintf(&b, "summarized: %d", r.Summarized)
	if len(r.Problems) > 0 {
		fmt.Fprintf(&b, " (%d could not be)", len(r.Problems))
	}
	b.WriteString("\n")
	if r.Issue.Number > 0 {
		fmt.Fprintf(&b, "issue: #%d with %s\n", r.Issue.Number, plural(len(r.Issue.Entries), "entry", "entries"))
	} else {
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
	sched, err := a.scheduler(a.jobs(&rep, true), nil)
	if err != nil {
		return rep.Collect, err
	}
	jobCtx, cancel := shutdown.WithGrace(ctx, shutdownGrace)
	defer cancel()
	_, err = sched.RunNow(jobCtx, JobCollect)
	return rep.Collect, err
}

// Run collects, then publishes and sends: the whole pipeline once. It runs
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
	if ctx.Err() != nil {
		return rep, errors.Join(collectErr, ctx.Err())
	}
	// A failed source does not hold back the others' news.
	_, issueErr := sched.RunNow(jobCtx, JobIssue)
	return rep, errors.Join(collectErr, issueErr)
}
