package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bulletin-app/bulletin"
	"github.com/bulletin-app/bulletin/internal/shutdown"
	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/store"
)

// cliActor names the person at the command line in the audit log.
func cliActor() string {
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	for _, v := range []string{"SUDO_USER", "USER", "LOGNAME"} {
		if name != "" {
			break
		}
		name = os.Getenv(v)
	}
	if name == "" {
		name = "unknown"
	}
	return "cli:" + name
}

const issuesSummary = `Review issues before they are sent (digest.review: true builds each issue as a
draft, published nowhere and mailed to nobody until it is approved):
  issues list [--limit N]
      the newest issues, in every state: draft, scheduled, sending, sent
  issues show N
      an issue: its state, subject, introduction, entries (with their ids, in
      the order they are sent, the lead first; an editor's texts beside the
      machine's) and its audit log
  issues edit N [flags]
      change a draft; each change is saved at once, in this order:
        --subject TEXT              the email's subject ("" gives the title back)
        --intro FILE|-              an introduction in Markdown, from a file or
                                    standard input (/dev/null removes it)
        --restore ENTRY             the article's title and the machine's summary again
        --entry ENTRY --title TEXT  the title readers see
        --entry ENTRY --summary TEXT|-
                                    the summary readers see, one sentence a line
                                    (- reads it from standard input)
        --drop ENTRY                back to the pool, for the next issue
        --lead ENTRY                the lead story, shown first (0: none)
        --move ENTRY --to PLACE     to place PLACE, from 1
  issues approve N
      publish the issue and email it now, to every confirmed subscriber once;
      for an issue whose send stopped short, finish it
  issues schedule N "YYYY-MM-DD HH:MM"
      send it at that time, in schedule.timezone (bulletin serve sends it); a
      scheduled issue can be scheduled again at another time
  issues cancel N
      a scheduled issue becomes a draft again
Look at an issue as it goes out with "bulletin preview --issue N --page FILE",
and send yourself a test copy with "bulletin send --issue N --to ADDRESS".`

func init() {
	register(command{
		name:    "issues",
		short:   "list, show, edit, approve, schedule or cancel issues (review before send)",
		args:    "list|show|edit|approve|schedule|cancel [N] ...",
		summary: issuesSummary,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			limit := fs.Int("limit", 20, "issues to list, newest first (0: all)")
			subject := fs.String("subject", "", "edit: the email's subject")
			intro := fs.String("intro", "", "edit: a file of Markdown for the introduction, - for standard input")
			entry := fs.Int64("entry", 0, "edit: the entry --title and --summary change")
			title := fs.String("title", "", "edit: the entry's title")
			summary := fs.String("summary", "", "edit: the entry's summary, - for standard input")
			restore := fs.Int64("restore", 0, "edit: the entry to give its article's title and machine summary again")
			drop := fs.Int64("drop", 0, "edit: the entry to take out, back to the pool")
			lead := fs.Int64("lead", 0, "edit: the entry to make the lead story (0: none)")
			move := fs.Int64("move", 0, "edit: the entry to move (with --to)")
			to := fs.Int("to", 0, "edit: the place to --move to, from 1")
			return withApp(func(ctx context.Context, e *env, app *bulletin.App, args []string) error {
				if len(args) == 0 {
					return usagef("which issues command: list, show, edit, approve, schedule or cancel?")
				}
				verb := args[0]
				// Flags may come after the verb and the issue number too.
				args, err := parseInterleaved(fs, args[1:])
				if err != nil {
					return usagef("%v", err)
				}
				set := map[string]bool{}
				fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
				actor := cliActor()
				if verb == "list" {
					if len(args) > 0 {
						return usagef("issues list takes no arguments")
					}
					return listIssues(ctx, e.stdout, app, *limit)
				}
				if len(args) == 0 {
					return usagef("issues %s: which issue? Give its number", verb)
				}
				n, err := strconv.Atoi(args[0])
				if err != nil || n < 1 {
					return usagef("issues %s: %q is not an issue number", verb, args[0])
				}
				args = args[1:]
				want := 0
				if verb == "schedule" {
					want = 1
				}
				if len(args) != want {
					return usagef("issues %s: unexpected arguments %q", verb, args)
				}
				switch verb {
				case "show":
					return showIssue(ctx, e.stdout, app, n)
				case "edit":
					ed := issueEdit{set: set, subject: *subject, intro: *intro, entry: *entry, title: *title, summary: *summary,
						restore: *restore, drop: *drop, lead: *lead, move: *move, to: *to}
					return ed.apply(ctx, e, app, actor, n)
				case "approve":
					if f, ok := e.stderr.(*os.File); ok {
						app.SendProgress = newsletter.TerminalProgress(f, app.Log)
					}
					// A first signal lets the send finish what is in flight.
					ctx, cancel := shutdown.WithGrace(ctx, 30*time.Second)
					defer cancel()
					sum, err := app.Approve(ctx, actor, n)
					if sum.Issue != 0 {
						fmt.Fprintf(e.stdout, "issue %d approved, published and sent: %s\n", n, sum)
					}
					return err
				case "schedule":
					at, err := app.ParseSendTime(args[0])
					if err != nil {
						return err
					}
					if err := app.ScheduleIssue(ctx, actor, n, at); err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "issue %d scheduled for %s (%s); bulletin serve sends it then\n",
						n, at.In(app.Location()).Format("2006-01-02 15:04 MST (-07:00)"), app.Location())
					return nil
				case "cancel":
					if err := app.CancelSchedule(ctx, actor, n); err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "issue %d is a draft again\n", n)
					return nil
				}
				return usagef("unknown issues command %q: list, show, edit, approve, schedule or cancel", verb)
			})
		},
	})
}

// parseInterleaved parses flags that may come before, between and after
// the positional arguments, and returns those.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

// issueEdit is what one "issues edit" asks for.
type issueEdit struct {
	set                       map[string]bool // the flags given
	subject, intro            string
	entry                     int64
	title, summary            string
	restore, drop, lead, move int64
	to                        int
}

func (ed issueEdit) apply(ctx context.Context, e *env, app *bulletin.App, actor string, n int) error {
	switch {
	case (ed.set["title"] || ed.set["summary"]) && ed.entry == 0:
		return usagef("--title and --summary need --entry ENTRY: which entry")
	case ed.set["entry"] && !ed.set["title"] && !ed.set["summary"]:
		return usagef("--entry goes with --title or --summary")
	case ed.set["move"] != ed.set["to"]:
		return usagef("--move ENTRY and --to PLACE go together")
	case ed.set["intro"] && ed.set["summary"] && ed.intro == "-" && ed.summary == "-":
		return usagef("only one of --intro and --summary can read standard input")
	}
	var steps []func() (string, error)
	if ed.set["subject"] {
		steps = append(steps, func() (string, error) {
			return "subject set", app.SetSubject(ctx, actor, n, ed.subject)
		})
	}
	if ed.set["intro"] {
		steps = append(steps, func() (string, error) {
			text, err := readArg(ed.intro, os.Stdin)
			if err != nil {
				return "", fmt.Errorf("--intro: %w", err)
			}
			return "introduction set", app.SetIntro(ctx, actor, n, text)
		})
	}
	if ed.set["restore"] {
		steps = append(steps, func() (string, error) {
			return fmt.Sprintf("entry %d restored", ed.restore), app.RestoreEntry(ctx, actor, n, ed.restore)
		})
	}
	if ed.set["title"] || ed.set["summary"] {
		steps = append(steps, func() (string, error) {
			var title, summary *string
			if ed.set["title"] {
				title = &ed.title
			}
			if ed.set["summary"] {
				text := ed.summary
				if text == "-" {
					b, err := io.ReadAll(io.LimitReader(os.Stdin, 1<<20))
					if err != nil {
						return "", fmt.Errorf("--summary: %w", err)
					}
					text = string(b)
				}
				summary = &text
			}
			return fmt.Sprintf("entry %d edited", ed.entry), app.EditEntry(ctx, actor, n, ed.entry, title, summary)
		})
	}
	if ed.set["drop"] {
		steps = append(steps, func() (string, error) {
			return fmt.Sprintf("entry %d dropped, back to the pool", ed.drop), app.DropEntry(ctx, actor, n, ed.drop)
		})
	}
	if ed.set["lead"] {
		steps = append(steps, func() (string, error) {
			if ed.lead == 0 {
				return "no lead story", app.SetLead(ctx, actor, n, 0)
			}
			return fmt.Sprintf("entry %d is the lead story", ed.lead), app.SetLead(ctx, actor, n, ed.lead)
		})
	}
	if ed.set["move"] {
		steps = append(steps, func() (string, error) {
			return fmt.Sprintf("entry %d moved to place %d", ed.move, ed.to), app.MoveEntry(ctx, actor, n, ed.move, ed.to)
		})
	}
	if len(steps) == 0 {
		return usagef("issues edit: nothing to change (see bulletin help issues)")
	}
	for _, step := range steps {
		done, err := step()
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "issue %d: %s\n", n, done)
	}
	return nil
}

// readArg reads the file named by name, or r for "-", up to 1 MiB.
func readArg(name string, r io.Reader) (string, error) {
	if name == "-" {
		b, err := io.ReadAll(io.LimitReader(r, 1<<20))
		return string(b), err
	}
	if name == "" {
		return "", errors.New("give a file name, or - for standard input")
	}
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	return string(b), err
}

func listIssues(ctx context.Context, w io.Writer, app *bulletin.App, limit int) error {
	list, err := app.ListIssues(ctx, limit)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(w, "no issues yet")
		return nil
	}
	loc := app.Location()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ISSUE\tSTATE\tWHEN\tENTRIES\tSUBJECT")
	for _, is := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\n", is.Number, stateNote(is.Issue), when(is.Issue, loc), is.EntryCount, oneLine(is.MailSubject()))
	}
	return tw.Flush()
}

// stateNote is the state, and why a send stopped short.
func stateNote(is store.Issue) string {
	if is.SendError != "" {
		return string(is.State) + " (stopped)"
	}
	return string(is.State)
}

func when(is store.Issue, loc *time.Location) string {
	at := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04 MST") }
	switch {
	case is.State == store.IssueScheduled:
		return "for " + at(is.SendAt)
	case is.State == store.IssueSent && !is.SentAt.IsZero():
		return "sent " + at(is.SentAt)
	case is.State.Released() && !is.SendAt.IsZero():
		return "released " + at(is.SendAt)
	}
	return "built " + at(is.CreatedAt)
}

var oneLine = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace

func showIssue(ctx context.Context, w io.Writer, app *bulletin.App, n int) error {
	is, err := app.Issue(ctx, n)
	if err != nil {
		return err
	}
	loc := app.Location()
	at := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04 MST") }
	fmt.Fprintf(w, "Issue %d: %s\n", is.Number, oneLine(is.Title))
	fmt.Fprintf(w, "State:    %s, %s\n", is.State, when(is, loc))
	if is.SendError != "" {
		fmt.Fprintf(w, "Stopped:  %s\n          (bulletin issues approve %d finishes the send)\n", oneLine(is.SendError), is.Number)
	}
	if is.Subject != "" {
		fmt.Fprintf(w, "Subject:  %s (the title: %s)\n", oneLine(is.Subject), oneLine(is.Title))
	} else {
		fmt.Fprintf(w, "Subject:  %s\n", oneLine(is.Title))
	}
	if !is.EditedAt.IsZero() {
		fmt.Fprintf(w, "Edited:   %s\n", at(is.EditedAt))
	}
	if is.Intro != "" {
		fmt.Fprintln(w, "Intro:")
		for _, l := range strings.Split(is.Intro, "\n") {
			fmt.Fprintf(w, "  | %s\n", l)
		}
	}
	fmt.Fprintf(w, "\nEntries, in the order they are sent:\n")
	if len(is.Entries) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	for i, e := range is.Entries {
		mark := ""
		if e.Lead {
			mark = " [lead]"
		}
		fmt.Fprintf(w, "%2d. entry %d%s: %s\n", i+1, e.ID, mark, oneLine(e.Title))
		if e.TitleEdited {
			fmt.Fprintf(w, "    (edited; the article's title: %s)\n", oneLine(e.ArticleTitle))
		}
		if meta := strings.Trim(e.Source+" · "+e.URL, " ·"); meta != "" {
			fmt.Fprintf(w, "    %s\n", oneLine(meta))
		}
		fmt.Fprintf(w, "    %s\n", oneLine(strings.Join(e.Summary, " ")))
		if e.SummaryEdited {
			fmt.Fprintf(w, "    (edited; the machine's summary: %s)\n", oneLine(strings.Join(e.MachineSummary, " ")))
		}
	}
	log, err := app.AuditLog(ctx, store.AuditQuery{Issue: n, Limit: 20})
	if err != nil {
		return err
	}
	if len(log) > 0 {
		fmt.Fprintf(w, "\nAudit log (the latest %d):\n", len(log))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for i := len(log) - 1; i >= 0; i-- {
			a := log[i]
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", at(a.At), oneLine(a.Actor), a.Action, oneLine(a.Detail))
		}
		tw.Flush()
	}
	return nil
}
