package bulletin

import (
	"context"
	"fmt"
	"time"

	"github.com/bulletin-app/bulletin/internal/metrics"
	"github.com/bulletin-app/bulletin/schedule"
	"github.com/bulletin-app/bulletin/store"
)

// The scheduled jobs, by the names config.yaml gives them; with review on,
// JobSendScheduled too.
const (
	JobCollect = "collect" // read every source
	JobBounces = "bounces" // read the bounce mailbox
	JobIssue   = "issue"   // summarize, build the issue, publish it, email it
	JobWeekly  = "weekly"  // build the weekly digest and email it to those who chose it
)

// formerJobNames maps the names jobs went by before to their names now. A
// config key under a former name still works, with a warning, and the
// store's history under it (the last run, the fire times taken care of) is
// handed to the new name when the app opens.
var formerJobNames = map[string]string{
	"publish": JobIssue, // said less than the job does: it also emails every subscriber
}

// shutdownGrace is how long a stop waits for requests and jobs in flight.
const shutdownGrace = 30 * time.Second

// Jobs returns the jobs the config schedules, ready for the scheduler.
func (a *App) Jobs() []schedule.JobSpec { return a.jobs(nil, false) }

// jobs returns the collect, bounces and issue jobs. What they did goes
// into rep, when given (a run by hand runs them one after the other);
// scheduled jobs may run at the same time and keep theirs apart. Jobs
// config leaves unscheduled are left out unless all is set, for a run by
// hand; the bounces job is left out while no mailbox is configured.
func (a *App) jobs(rep *RunReport, all bool) []schedule.JobSpec {
	report := func() *RunReport {
		if rep != nil {
			return rep
		}
		return &RunReport{}
	}
	run := map[string]func(ctx context.Context) (string, error){
		JobCollect: func(ctx context.Context) (string, error) {
			r := report()
			var err error
			r.Collect, err = a.Collect(ctx)
			return r.Collect.String(), err
		},
		JobBounces: func(ctx context.Context) (string, error) {
			r := report()
			var err error
			r.Bounces, err = a.ReadBounces(ctx)
			return r.Bounces.String(), err
		},
		JobIssue: func(ctx context.Context) (string, error) {
			r := report()
			pub, err := a.PublishAndSend(ctx)
			r.DigestReport, r.Sent = pub.DigestReport, pub.Sent
			detail := fmt.Sprintf("%d summarized, no issue", r.Summarized)
			switch {
			case r.Issue.Number > 0 && r.Issue.State == store.IssueDraft:
				detail = fmt.Sprintf("%d summarized, issue #%d with %s, a draft", r.Summarized, r.Issue.Number, plural(len(r.Issue.Entries), "entry", "entries"))
			case r.Issue.Number > 0:
				detail = fmt.Sprintf("%d summarized, issue #%d with %s", r.Summarized, r.Issue.Number, plural(len(r.Issue.Entries), "entry", "entries"))
			case r.AwaitingReview > 0:
				detail = fmt.Sprintf("%d summarized, no issue: #%d awaits review", r.Summarized, r.AwaitingReview)
			}
			if r.Sent != nil {
				detail += fmt.Sprintf("; sent %d, failed %d", r.Sent.Sent, r.Sent.Failed)
			}
			return detail, err
		},
		JobWeekly: func(ctx context.Context) (string, error) {
			sum, err := a.SendWeekly(ctx)
			if sum.Issue == 0 {
				return "no issue this week: no digest", err
			}
			return fmt.Sprintf("weekly digest %d: sent %d, failed %d", -sum.Issue, sum.Sent, sum.Failed), err
		},
	}
	var jobs []schedule.JobSpec
	// The flow's order: bounces before the issue, so that a send skips
	// the addresses they report; the weekly digest after the issue.
	for _, name := range []string{JobCollect, JobBounces, JobIssue, JobWeekly} {
		if name == JobWeekly && rep != nil {
			continue // bulletin run does the collect and the issue; the digest keeps its schedule
		}
		spec := a.Config.Schedule.Jobs[name]
		if name == JobBounces && a.Config.Newsletter.Bounces.Mailbox.Host == "" {
			continue
		}
		if spec != "" || all {
			jobs = append(jobs, schedule.JobSpec{Name: name, Key: "schedule.jobs." + name, Spec: spec, Run: run[name]})
		}
	}
	if a.Config.Digest.Review {
		// Last: a scheduled issue due with the issue job goes out after it.
		jobs = append(jobs, schedule.JobSpec{Name: JobSendScheduled, Key: "digest.review", Spec: sendScheduledSpec,
			Run: a.SendDue, Quiet: true})
	}
	return jobs
}

func (a *App) scheduler(jobs []schedule.JobSpec, reg *metrics.Registry) (*schedule.Scheduler, error) {
	loc, err := time.LoadLocation(a.Config.Schedule.Timezone)
	if err != nil {
		return nil, err
	}
	return schedule.New(a.Store, jobs, schedule.Options{
		Location:      loc,
		CatchUpWindow: a.Config.Schedule.CatchUp,
		Grace:         shutdownGrace,
		Clock:         a.clock,
		Logger:        a.Log,
		Metrics:       reg,
	})
}

// runSchedule runs sched until ctx ends, as serve does: from now on, this
// process looks after scheduled issues.
func (a *App) runSchedule(ctx context.Context, sched *schedule.Scheduler) error {
	now := a.now()
	a.watchSince.CompareAndSwap(nil, &now)
	return sched.Run(ctx)
}
