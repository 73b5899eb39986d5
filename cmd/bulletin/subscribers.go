package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/bulletin-app/bulletin"
	"github.com/bulletin-app/bulletin/newsletter"
)

func init() {
	register(command{
		name:  "subscribers",
		short: "add, list, remove, forget, import or export subscribers",
		args:  "add|list|remove|forget|import|export ...",
		summary: "Manage subscribers:\n" +
			"  subscribers add [--confirmed] [--name NAME] ADDRESS\n" +
			"      without --confirmed: sends a confirmation email; the address is pending\n" +
			"      until its owner follows the link\n" +
			"  subscribers list [--status STATUS]\n" +
			"  subscribers remove ADDRESS\n" +
			"      unsubscribes: the address and its delivery history stay, so no import or\n" +
			"      config list adds it again\n" +
			"  subscribers forget ADDRESS\n" +
			"      erases the address and name (the ledger keeps its rows without them) and\n" +
			"      keeps a hash, so that only signing up again brings the address back\n" +
			"  subscribers import --confirmed FILE.csv   (columns: email[,name][,status])\n" +
			"      adds every row as confirmed and sends nothing: --confirmed says you vouch\n" +
			"      for their consent, and is required. A status column keeps unsubscribed,\n" +
			"      bounced and complained rows so; pending rows are refused (nothing would\n" +
			"      ever ask them to confirm: add them one by one without --confirmed).\n" +
			"      Every refused row is reported with its line and reason, and the exit\n" +
			"      status is 1 when any was.\n" +
			"  subscribers export [--status STATUS] [FILE.csv]\n" +
			"      a cell that starts with = + - @, a tab or a carriage return (which a\n" +
			"      spreadsheet would run as a formula) gets a leading ', which import takes\n" +
			"      off again",
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			confirmed := fs.Bool("confirmed", false, "add or import as confirmed (you vouch for their consent)")
			name := fs.String("name", "", "subscriber's name, with add")
			status := fs.String("status", "", "only subscribers in this state: pending, confirmed, unsubscribed, bounced, complained")
			return withApp(func(ctx context.Context, e *env, app *bulletin.App, args []string) error {
				if len(args) == 0 {
					return usagef("which subscribers command: add, list, remove, forget, import or export?")
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
					what, err := n.Subscribe(ctx, args[0], *name)
					if err != nil {
						return err
					}
					addr, _ := newsletter.ValidEmail(args[0])
					sub, err := st.SubscriberByEmail(ctx, addr)
					if err != nil {
						return err
					}
					switch what {
					case newsletter.AlreadyConfirmed:
						fmt.Fprintf(e.stdout, "%s is subscribed already (confirmed): nothing sent\n", sub.Email)
					case newsletter.ConfirmationRecent:
						fmt.Fprintf(e.stdout, "%s is %s: a confirmation email went out at %s; no other is sent before %s\n",
							sub.Email, sub.Status, sub.ConfirmSentAt.Format("15:04"), sub.ConfirmSentAt.Add(n.ConfirmResendAfter()).Format("15:04"))
					case newsletter.NotSubscribable:
						fmt.Fprintf(e.stdout, "%s is %s: nothing sent; it is not mailed again\n", sub.Email, sub.Status)
					default:
						fmt.Fprintf(e.stdout, "%s is %s until its owner confirms: a confirmation email was sent\n", sub.Email, sub.Status)
					}
					return nil
				case "list":
					if len(args) != 0 {
						return usagef("subscribers list takes no arguments")
					}
					_, err := newsletter.WriteList(ctx, st, e.stdout, *status)
					return err
				case "remove":
					if len(args) != 1 {
						return usagef("subscribers remove takes one address")
					}
					sub, changed, err := newsletter.RemoveSubscriber(ctx, st, args[0])
					if err != nil {
						return err
					}
					if !changed {
						fmt.Fprintf(e.stdout, "%s was not subscribed (%s): nothing changed\n", sub.Email, sub.Status)
						return nil
					}
					fmt.Fprintf(e.stdout, "unsubscribed %s; \"subscribers forget\" erases the address\n", sub.Email)
					return nil
				case "forget":
					if len(args) != 1 {
						return usagef("subscribers forget takes one address")
					}
					if err := newsletter.ForgetSubscriber(ctx, st, args[0]); err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "erased %s: its name and address are gone, and only signing up again brings it back\n", args[0])
					return nil
				case "import":
					if len(args) != 1 {
						return usagef("subscribers import takes one CSV file")
					}
					if !*confirmed {
						return usagef("%v", newsletter.ErrImportNeedsConfirmed)
					}
					f, err := os.Open(args[0])
					if err != nil {
						return err
					}
					defer f.Close()
					rep, err := newsletter.ImportCSV(ctx, st, f, newsletter.ImportOptions{Confirmed: *confirmed})
					for _, re := range rep.Invalid {
						fmt.Fprintf(e.stderr, "%s:%d: %v\n", args[0], re.Line, re.Err)
					}
					fmt.Fprintln(e.stdout, rep)
					if err == nil && len(rep.Invalid) > 0 {
						err = fmt.Errorf("%d rows refused (listed above); the others were imported", len(rep.Invalid))
					}
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
