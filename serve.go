package bulletin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/bulletin-app/bulletin/feed"
	"github.com/bulletin-app/bulletin/internal/metrics"
	"github.com/bulletin-app/bulletin/internal/shutdown"
	"github.com/bulletin-app/bulletin/schedule"
	"github.com/bulletin-app/bulletin/server"
)

// shutdownGrace is how long a stop waits for requests and jobs in flight.
const shutdownGrace = 30 * time.Second

// Jobs returns the jobs the config schedules, ready for the scheduler.
func (a *App) Jobs() []schedule.JobSpec { return a.jobs(nil, false) }

// jobs returns the collect and publish jobs. What they did goes into rep,
// when given (a run by hand runs them one after the other); scheduled jobs
// may run at the same time and keep theirs apart. Jobs config leaves
// unscheduled are left out unless all is set, for a run by hand.
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
		JobPublish: func(ctx context.Context) (string, error) {
			r := report()
			pub, err := a.PublishAndSend(ctx)
			r.DigestReport, r.Sent = pub.DigestReport, pub.Sent
			detail := fmt.Sprintf("%d summarized, no issue", r.Summarized)
			if r.Issue.Number > 0 {
				detail = fmt.Sprintf("%d summarized, issue #%d with %d entries", r.Summarized, r.Issue.Number, len(r.Issue.Entries))
			}
			if r.Sent != nil {
				detail += fmt.Sprintf("; sent %d, failed %d", r.Sent.Sent, r.Sent.Failed)
			}
			return detail, err
		},
	}
	var jobs []schedule.JobSpec
	for _, name := range []string{JobCollect, JobPublish} {
		spec := a.Config.Schedule.Jobs[name]
		if spec != "" || all {
			jobs = append(jobs, schedule.JobSpec{Name: name, Key: "schedule.jobs." + name, Spec: spec, Run: run[name]})
		}
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
		Logger:        a.Log,
		Metrics:       reg,
	})
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
	_, publishErr := sched.RunNow(jobCtx, JobPublish)
	return rep, errors.Join(collectErr, publishErr)
}

// Serve answers HTTP on addr (the configured one when empty) and runs the
// schedule until ctx ends; then it stops taking work, lets what is in flight
// finish within a grace period, and returns.
func (a *App) Serve(ctx context.Context, addr string) error {
	if addr == "" {
		addr = a.Config.Server.Addr
	}
	if err := a.AddConfiguredSubscribers(ctx); err != nil {
		return err
	}
	// The version is read first: a publish elsewhere while the feeds are
	// built is then caught by followPublishes, not missed.
	version, err := a.Store.PublishedVersion(ctx)
	if err != nil {
		return err
	}
	set, err := a.BuildFeeds(ctx)
	if err != nil {
		return err
	}
	a.feeds = feed.NewHandler(set)
	mux := http.NewServeMux()
	server.MountArchive(mux, a.feeds)
	news, err := a.Newsletter()
	if err != nil {
		return err
	}
	subs, err := server.NewSubscriptions(news, a.Config.Site.Title, a.Templates, a.Log)
	if err != nil {
		return err
	}
	subs.Routes(mux)
	defer subs.Wait() // confirmation emails still on their way
	reg := &metrics.Registry{}
	server.MountOps(mux, a.Store, reg, a.Log)

	sched, err := a.scheduler(a.Jobs(), reg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	var wg sync.WaitGroup
	var serveErr, schedErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Add(3)
	go func() {
		defer wg.Done()
		a.followPublishes(ctx, version, refreshEvery)
	}()
	go func() {
		defer wg.Done()
		serveErr = server.Serve(ctx, ln, mux, a.Log, shutdownGrace)
		cancel() // a server that cannot serve stops the schedule too
	}()
	go func() {
		defer wg.Done()
		schedErr = sched.Run(ctx)
		cancel()
	}()
	wg.Wait()
	if errors.Is(schedErr, context.Canceled) {
		schedErr = nil
	}
	return errors.Join(serveErr, schedErr)
}

// refreshEvery is how often serve looks for a publish by another process.
const refreshEvery = 10 * time.Second

// followPublishes keeps the served feeds and pages in step with the store
// when another process (bulletin run or publish by hand) builds an issue:
// every interval it compares the store's published version with the one it
// serves, and rebuilds when they differ.
func (a *App) followPublishes(ctx context.Context, served string, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		v, err := a.Store.PublishedVersion(ctx)
		if err != nil || v == served {
			continue
		}
		set, err := a.BuildFeeds(ctx)
		if err != nil {
			a.Log.Error("cannot rebuild the feeds", "err", err)
			continue
		}
		a.feeds.Update(set)
		served = v
		a.Log.Info("feeds rebuilt after a publish elsewhere", "version", v)
	}
}

// Status reports each job's last and next run, each upstream source's last
// fetch, and the latest issue's deliveries.
func (a *App) Status(ctx context.Context) (schedule.Report, error) {
	loc, _ := time.LoadLocation(a.Config.Schedule.Timezone)
	return schedule.Status(ctx, a.Store, a.Jobs(), loc, a.now())
}
