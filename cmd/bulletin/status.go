package main

import (
	"context"
	"flag"
	"io"
	"os"

	"github.com/bulletin-app/bulletin"
	"github.com/bulletin-app/bulletin/source"
)

func init() {
	register(command{
		name:    "status",
		short:   "show jobs, sources and the latest issue's deliveries",
		summary: "Show each job's last and next run, each source's last fetch and error, and the\nlatest issue's deliveries (sent, pending, failed).",
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			return withApp(func(ctx context.Context, e *env, app *bulletin.App, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				rep, err := app.Status(ctx)
				if err != nil {
					return err
				}
				return rep.WriteText(e.stdout)
			})
		},
	})
	register(command{
		name:  "sources",
		short: "export or import feed sources as OPML",
		args:  "export [FILE.opml] | import FILE.opml",
		summary: "Exchange feed sources with feed readers as OPML:\n" +
			"  sources export [FILE.opml]   the feed sources of the config\n" +
			"  sources import FILE.opml     print them as config.yaml sources, to paste in",
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) == 0 {
					return usagef("sources export or sources import?")
				}
				cfg, err := bulletin.LoadConfig(e.configPath)
				if err != nil {
					return err
				}
				switch {
				case args[0] == "export" && len(args) <= 2:
					var subs []source.Subscription
					for _, s := range cfg.Sources {
						if s.Feed != "" {
							subs = append(subs, source.Subscription{Name: s.Name, URL: s.Feed, FullText: s.FullText})
						}
					}
					return e.writeOut(args[1:], func(w io.Writer) error {
						return source.WriteOPML(w, cfg.Site.Title, subs)
					})
				case args[0] == "import" && len(args) == 2:
					f, err := os.Open(args[1])
					if err != nil {
						return err
					}
					defer f.Close()
					subs, err := source.ReadOPML(f)
					if err != nil {
						return err
					}
					return bulletin.WriteSourcesYAML(e.stdout, cfg, subs)
				}
				return usagef("sources export [FILE.opml] | import FILE.opml")
			}
		},
	})
}
