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
	"github.com/bulletin-app/bulletin/schedule"
	"github.com/bulletin-app/bulletin/server"
)

// shutdownGrace is how long a stop waits for requests and jobs in flight.
const shutdownGrace = 30 * time.Second

// Jobs returns the scheduled jobs of the config, ready for the scheduler.
func (a *App) Jobs() []schedule.JobSpec {
	run := map[string]func(ctx context.Context) (string, error){
		JobCollect: func(ctx context.Context) (string, error) {
			rep, err := a.Collect(ctx)
			return fmt.Sprintf("%d found, %d new, %d updated, %d skipped", rep.Found, rep.New, rep.Updated, rep.Problems), err
		},
		JobPublish: func(ctx context.Context) (string, error) {
			rep, err := a.PublishAndSend(ctx)
			detail := fmt.Sprintf("%d summarized, no issue", rep.Summarized)
			if rep.Issue.Number > 0 {
				detail = fmt.Sprintf("%d summarized, issue #%d with %d entries", rep.Summarized, rep.Issue.Number, len(rep.Issue.Entries))
			}
			if rep.Sent != nil {
				detail += fmt.Sprintf("; sent %d, failed %d", rep.Sent.Sent, rep.Sent.Failed)
			}
			return detail, err
		},
	}
	var jobs []schedule.JobSpec
	for _, name := range []string{JobCollect, JobPublish} {
		if spec, ok := a.Config.Schedule.Jobs[name]; ok && spec != "" {
			jobs = append(jobs, schedule.JobSpec{Name: name, Key: "schedule.jobs." + name, Spec: spec, Run: run[name]})
		}
	}
	return jobs
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

	loc, _ := time.LoadLocation(a.Config.Schedule.Timezone)
	sched, err := schedule.New(a.Store, a.Jobs(), schedule.Options{
		Location:      loc,
		CatchUpWindow: a.Config.Schedule.CatchUp,
		Grace:         shutdownGrace,
		Logger:        a.Log,
	})
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
	wg.Add(2)
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
