package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/bulletin-app/bulletin"
	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/store"
)

func init() {
	register(command{
		name:  "subscribers",
		short: "add, list, remove, import or export subscribers",
		args:  "add|list|remove|import|export ...",
		summary: "Manage subscribers:\n" +
			"  subscribers add [--confirmed] [--name NAME] ADDRESS\n" +
			"  subscribers list [--status STATUS]\n" +
			"  subscribers remove ADDRESS\n" +
			"  subscribers import [--confirmed] FILE.csv   (columns: email[,name])\n" +
			"  subscribers export [--status STATUS] [FILE.csv]\n" +
			"Without --confirmed, added subscribers are pending until they confirm by email.",
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			confirmed := fs.Bool("confirmed", false, "add or import as confirmed (you vouch for their consent)")
			name := fs.String("name", "", "subscriber's name, with add")
			status := fs.String("status", "", "only subscribers in this state: pending, confirmed, unsubscribed, bounced, complained")
			return withApp(func(ctx context.Context, e *env, app *bulletin.App, args []string) error {
				if len(args) == 0 {
					return usagef("which subscribers command: add, list, remove, import or export?")
				}
				verb, args := args[0], args[1:]
				// Flags may follow the verb as well as precede it.
				if err := fs.Parse(args); err != nil {
					return usagef("%v", err)
				}
				args = fs.Args()
				st := app.Store
				switch verb {
				case "add":
					if len(args) != 1 {
						return usagef("subscribers add takes one address")
					}
					if *confirmed {
						sub, err := newsletter.AddSubscriber(ctx, st, args[0], *name, true)
						if err != nil {
							return err
						}
						fmt.Fprintf(e.stdout, "added %s (%s)\n", sub.Email, sub.Status)
						return nil
					}
					n, err := app.Newsletter()
					if err != nil {
						return err
					}
					if err := n.Subscribe(ctx, args[0], *name); err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "%s is pending: a confirmation email was sent\n", args[0])
					return nil
				case "list":
					if len(args) != 0 {
						return usagef("subscribers list takes no arguments")
					}
					tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "EMAIL\tNAME\tSTATUS\tSINCE")
					err := newsletter.ListSubscribers(ctx, st, *status, func(s store.Subscriber) error {
						_, err := fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Email, s.Name, s.Status, s.CreatedAt.Format("2006-01-02"))
						return err
					})
					if ferr := tw.Flush(); err == nil {
						err = ferr
					}
					return err
				case "remove":
					if len(args) != 1 {
						return usagef("subscribers remove takes one address")
					}
					if err := newsletter.RemoveSubscriber(ctx, st, args[0]); err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "removed %s\n", args[0])
					return nil
				case "import":
					if len(args) != 1 {
						return usagef("subscribers import takes one CSV file")
					}
					f, err := os.Open(args[0])
					if err != nil {
						return err
					}
					defer f.Close()
					rep, err := newsletter.ImportCSV(ctx, st, f, newsletter.ImportOptions{Confirmed: *confirmed})
					fmt.Fprintln(e.stdout, rep)
					return err
				case "export":
					if len(args) > 1 {
						return usagef("subscribers export takes at most one file")
					}
					var n int
					err := e.writeOut(args, func(w io.Writer) (err error) {
						n, err = newsletter.ExportCSV(ctx, st, w, *status)
						return err
					})
					if err == nil && len(args) == 1 {
						fmt.Fprintf(e.stdout, "exported %d subscribers to %s\n", n, args[0])
					}
					return err
				}
				return usagef("unknown subscribers command %q", verb)
			})
		},
	})
}
