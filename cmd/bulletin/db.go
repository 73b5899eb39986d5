package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/bulletin-app/bulletin"
	"github.com/bulletin-app/bulletin/store"
)

func init() {
	register(command{
		name:  "db",
		short: "copy the database into PostgreSQL",
		args:  "copy --to URL",
		summary: "Move to PostgreSQL:\n" +
			"  db copy --to postgres://USER@HOST:5432/DBNAME\n" +
			"copies everything the configured database holds (articles, entries, issues,\n" +
			"subscribers, the delivery ledger, jobs, the summary cache, the sources' state)\n" +
			"into an empty PostgreSQL database, in one transaction, and checks each table's\n" +
			"count. Stop bulletin's processes first: a copy refuses to start while one holds\n" +
			"a lease (a send, a scheduled job). Keep the password off the command line with\n" +
			"PGPASSWORD or ~/.pgpass. Then point database.url (or BULLETIN_DATABASE_URL) at it.",
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			to := fs.String("to", "", "PostgreSQL URL of the empty database to copy into")
			return withApp(func(ctx context.Context, e *env, app *bulletin.App, args []string) error {
				if len(args) == 0 || args[0] != "copy" {
					return usagef("db copy --to URL")
				}
				// Flags may follow the verb as well as precede it.
				if err := fs.Parse(args[1:]); err != nil {
					return usagef("%v", err)
				}
				if fs.NArg() > 0 {
					return usagef("unexpected arguments: %q", fs.Args())
				}
				if !strings.HasPrefix(*to, "postgres://") && !strings.HasPrefix(*to, "postgresql://") {
					return usagef("--to takes the postgres:// URL of the database to copy into")
				}
				dst, err := store.Open(ctx, *to)
				if err != nil {
					return err
				}
				defer dst.Close()
				counts, err := app.Store.CopyTo(ctx, dst, func(table string, done, total int) {
					app.Progress("copy "+table, done, total)
				})
				if err != nil {
					return err
				}
				// The links in the issues sent so far were signed with the
				// data folder's key: on PostgreSQL it is the database's.
				if err := app.CarrySecretTo(ctx, dst); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "copied %s to %s\n\n", app.Store.Name(), dst.Name())
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "TABLE\tSOURCE\tCOPIED")
				for _, c := range counts {
					fmt.Fprintf(tw, "%s\t%d\t%d\n", c.Table, c.Source, c.Copied)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, "\nEvery count matches. Point database.url (or BULLETIN_DATABASE_URL) at it to use it.")
				return nil
			})
		},
	})
}
