package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/bulletin-app/bulletin"
	"github.com/bulletin-app/bulletin/store"
)

// withApp opens the app for a command and closes it after.
func withApp(f func(ctx context.Context, e *env, app *bulletin.App, args []string) error) func(context.Context, *env, []string) error {
	return func(ctx context.Context, e *env, args []string) error {
		app, err := openApp(ctx, e)
		if err != nil {
			return err
		}
		defer app.Close()
		return f(ctx, e, app, args)
	}
}

func noArgs(args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments: %q", args)
	}
	return nil
}

func init() {
	register(command{
		name:    "run",
		short:   "collect, summarize, publish and email the next issue, once",
		summary: "Collect, summarize, build the next issue, publish it and email it, once.\nWith nothing new, no issue is built and nothing is sent.",
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			return withApp(func(ctx context.Context, e *env, app *bulletin.App, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				rep, err := app.Run(ctx)
				fmt.Fprintln(e.stdout, rep)
				return err
			})
		},
	})
	register(command{
		name:    "collect",
		short:   "read every source and store new and changed articles",
		summary: "Read every source and store new and changed articles.",
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			return withApp(func(ctx context.Context, e *env, app *bulletin.App, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				rep, err := app.CollectNow(ctx)
				if errors.Is(err, store.ErrLocked) {
					fmt.Fprintln(e.stdout, "collected: nothing: skipped, another process is collecting")
					return err
				}
				fmt.Fprintf(e.stdout, "collected: %s\n", rep)
				return err
			})
		},
	})
	register(command{
		name:    "publish",
		short:   "write the feeds and archive pages as static files",
		summary: "Write the feeds and archive pages as static files: those that changed since the\nfolder's last publish, or all of them (--all, or a folder that holds none).",
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			out := fs.String("out", "", "folder to write to (default: public_dir from the config)")
			all := fs.Bool("all", false, "write every document, not only those that changed")
			return withApp(func(ctx context.Context, e *env, app *bulletin.App, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				dir, err := app.Publish(ctx, *out, *all)
				if err == nil {
					fmt.Fprintf(e.stdout, "published to %s\n", dir)
				}
				return err
			})
		},
	})
	register(command{
		name:  "preview",
		short: "write an issue's email to files, to look at before sending",
		args:  "",
		summary: "Write an issue's email as an HTML file (and its text part beside it) to look at\n" +
			"before sending, and with --page its web page as its release publishes it. A draft\n" +
			"is previewed as it will go out; nothing is sent, published or recorded.",
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			issue := fs.Int("issue", 0, "issue number (default: the latest)")
			out := fs.String("out", "preview.html", "HTML file to write; the text part goes to the same name with .txt")
			page := fs.String("page", "", "also write the issue's web page to this file")
			return withApp(func(ctx context.Context, e *env, app *bulletin.App, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				files, err := app.Preview(ctx, *issue, *out, *page)
				for _, f := range files {
					fmt.Fprintf(e.stdout, "wrote %s\n", f)
				}
				return err
			})
		},
	})
	register(command{
		name:    "version",
		short:   "print bulletin's version",
		summary: "Print bulletin's version.",
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			return func(ctx context.Context, e *env, args []string) error {
				fmt.Fprintf(e.stdout, "bulletin %s\n", bulletin.Version)
				return nil
			}
		},
	})
}
