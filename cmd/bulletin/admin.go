package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/bulletin-app/bulletin"
	"github.com/bulletin-app/bulletin/store"
)

func init() {
	register(command{
		name:  "admin",
		short: "add, list or remove the users of the editor's desk, or set a password",
		args:  "add|list|remove|passwd ...",
		summary: "Manage who may sign in to the editor's desk (bulletin serve, at /admin/):\n" +
			"  admin add NAME [--role admin|editor] [--email ADDRESS]\n" +
			"      a new user; the first one is an admin unless --role says otherwise,\n" +
			"      later ones editors. An admin manages the users and does all an editor\n" +
			"      does; an editor edits, previews, schedules and sends issues and looks\n" +
			"      after subscribers and sources. --email is where the user's test copies\n" +
			"      go. The password is read from standard input when it is not a terminal\n" +
			"      (one line), else asked for twice, without echo.\n" +
			"  admin list\n" +
			"  admin remove NAME\n" +
			"      the user can sign in no more, and their sessions end\n" +
			"  admin passwd NAME\n" +
			"      a new password, read as for add; the user's sessions end",
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			role := fs.String("role", "", "with add: admin or editor")
			email := fs.String("email", "", "with add: the address of the user's test copies")
			return withApp(func(ctx context.Context, e *env, app *bulletin.App, args []string) error {
				if len(args) == 0 {
					return usagef("which admin command: add, list, remove or passwd?")
				}
				verb := args[0]
				args, err := parseInterspersed(fs, args[1:])
				if err != nil {
					return usagef("%v", err)
				}
				actor := cliActor()
				switch verb {
				case "add":
					if len(args) != 1 {
						return usagef("admin add takes one name")
					}
					if *role != "" {
						if _, err := store.ParseAdminRole(*role); err != nil {
							return usagef("--role: want admin or editor")
						}
					}
					pw, err := readPassword(e, "Password for "+args[0])
					if err != nil {
						return err
					}
					u, err := app.AddUser(ctx, actor, args[0], store.AdminRole(*role), *email, pw)
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "added %s (%s): sign in at %sadmin/\n", u.Name, u.Role, app.Config.Site.URL)
					return nil
				case "list":
					if len(args) != 0 {
						return usagef("admin list takes no arguments")
					}
					users, err := app.Users(ctx)
					if err != nil {
						return err
					}
					tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "NAME\tROLE\tEMAIL\tLAST SIGN-IN")
					for _, u := range users {
						last := "never"
						if !u.LastSignIn.IsZero() {
							last = u.LastSignIn.In(app.Location()).Format("2006-01-02 15:04 MST")
						}
						email := u.Email
						if email == "" {
							email = "-"
						}
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Role, email, last)
					}
					return tw.Flush()
				case "remove":
					if len(args) != 1 {
						return usagef("admin remove takes one name")
					}
					if err := app.RemoveUser(ctx, actor, args[0]); err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "removed %s; their sessions ended\n", args[0])
					return nil
				case "passwd":
					if len(args) != 1 {
						return usagef("admin passwd takes one name")
					}
					pw, err := readPassword(e, "New password for "+args[0])
					if err != nil {
						return err
					}
					if err := app.SetUserPassword(ctx, actor, args[0], pw); err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "password of %s set; their sessions ended\n", args[0])
					return nil
				}
				return usagef("unknown admin command %q", verb)
			})
		},
	})
}

// parseInterspersed parses args with fs, flags before and after the
// arguments (admin add NAME --role editor), and returns the arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var out []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return out, nil
		}
		out = append(out, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// readPassword reads a password: one line of standard input when it is
// not a terminal (a script, a pipe), else typed twice at a prompt on
// standard error without echo.
func readPassword(e *env, prompt string) (string, error) {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		line, err := bufio.NewReader(io.LimitReader(os.Stdin, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			return "", errors.New("no password on standard input")
		}
		return line, nil
	}
	ask := func(p string) (string, error) {
		fmt.Fprint(e.stderr, p+": ")
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(e.stderr)
		return string(b), err
	}
	pw, err := ask(prompt)
	if err != nil {
		return "", err
	}
	again, err := ask("The same again")
	if err != nil {
		return "", err
	}
	if pw != again {
		return "", errors.New("the two passwords differ")
	}
	return pw, nil
}
