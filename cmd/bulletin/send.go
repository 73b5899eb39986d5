package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/bulletin-app/bulletin"
	"github.com/bulletin-app/bulletin/internal/shutdown"
	"github.com/bulletin-app/bulletin/newsletter"
)

func init() {
	register(command{
		name:  "send",
		short: "email an issue to the confirmed subscribers who have not had it",
		summary: "Email an issue to every confirmed subscriber who has not had it, once each.\n" +
			"Safe to run again after a crash or while the scheduler sends: the ledger and\n" +
			"a lock in the store keep anyone from getting it twice.",
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			issue := fs.Int("issue", 0, "issue number (default: the latest)")
			dry := fs.Bool("dry-run", false, "render and count the messages without sending or recording anything")
			to := fs.String("to", "", "send one [TEST] copy to this address instead; the ledger does not record it")
			failed := fs.Bool("resend-failed", false, "retry only the deliveries that failed before")
			unconfirmed := fs.Bool("resend-unconfirmed", false, "send again the deliveries an earlier send left unconfirmed\n(handed over, the server's reply lost; see status): MAY DELIVER SECOND COPIES")
			return withApp(func(ctx context.Context, e *env, app *bulletin.App, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				if *to != "" && (*dry || *failed || *unconfirmed) {
					return usagef("--to goes alone: it sends one test copy")
				}
				if *failed && *unconfirmed {
					return usagef("--resend-failed and --resend-unconfirmed go one at a time")
				}
				if f, ok := e.stderr.(*os.File); ok {
					app.SendProgress = newsletter.TerminalProgress(f, app.Log)
				}
				// A first signal lets the send finish what is in flight.
				ctx, cancel := shutdown.WithGrace(ctx, 30*time.Second)
				defer cancel()
				if *to != "" {
					sum, err := app.TestSend(ctx, cliActor(), *issue, *to)
					if err == nil {
						fmt.Fprintf(e.stdout, "%s to %s\n", sum, *to)
					}
					return err
				}
				sum, err := app.SendAs(ctx, cliActor(), newsletter.SendRequest{Issue: *issue, DryRun: *dry,
					ResendFailed: *failed, ResendUnconfirmed: *unconfirmed})
				// Only what happened: no "test copy sent" for a copy that
				// was not, no summary of a send that never started.
				if sum.Issue != 0 && !(sum.Test && err != nil) {
					fmt.Fprintln(e.stdout, sum)
				}
				return err
			})
		},
	})
	register(command{
		name:    "serve",
		short:   "serve feeds, archive and subscription pages; run the schedule",
		summary: "Serve the feeds, the archive and the subscription pages over HTTP, and run the\njobs of the schedule, until stopped (SIGINT or SIGTERM).",
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			addr := fs.String("addr", "", "HOST:PORT to listen on (default: server.addr from the config)")
			metricsAddr := fs.String("metrics-addr", "", "HOST:PORT to serve /metrics on, or off (default: server.metrics_addr)")
			return withApp(func(ctx context.Context, e *env, app *bulletin.App, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				return app.Serve(ctx, bulletin.ServeOptions{Addr: *addr, MetricsAddr: *metricsAddr})
			})
		},
	})
}
