package bulletin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bulletin-app/bulletin/schedule"
	"github.com/bulletin-app/bulletin/store"
)

// StatusReport is what `bulletin status` shows: the jobs, the sources and
// the latest issue, all read from the store, so it tells the truth whether
// or not `bulletin serve` is running.
type StatusReport struct {
	Now      time.Time
	Location *time.Location // times are shown in it
	Jobs     []JobStatus
	Sources  []store.NamedSourceState
	// Paused are the sources an editor paused, by name: collect skips
	// them.
	Paused map[string]store.PausedSource
	Issue  *IssueStatus // nil before the first issue
	// Bounces are the latest bounces and complaints recorded, newest
	// first (at most bouncesShown), whichever issue they are about.
	Bounces []store.BounceEvent
}

// JobStatus is one job's latest run and its next fire time.
type JobStatus struct {
	Name string
	Spec string        // empty for a job that ran but is no longer scheduled
	Last *store.JobRun // nil if it never ran
	Next time.Time     // zero if not scheduled
}

// IssueStatus is the latest issue and its deliveries by status.
type IssueStatus struct {
	Number     int
	Title      string
	Created    time.Time
	Entries    int
	State      store.IssueState
	SendError  string // why its send stopped short, if it did
	Deliveries map[store.DeliveryStatus]int
	// Unconfirmed lists (the first unconfirmedShown of) the rows left in
	// "sending": handed to the server, its reply never read.
	Unconfirmed []store.Delivery
	// Bounces counts the bounces and complaints reported on its
	// deliveries after the send.
	Bounces map[store.BounceKind]int
}

// unconfirmedShown and bouncesShown bound the rows status lists.
const (
	unconfirmedShown = 20
	bouncesShown     = 10
)

// Status reports each job's last and next run, each upstream source's last
// fetch, and the latest issue's deliveries.
func (a *App) Status(ctx context.Context) (StatusReport, error) {
	loc, _ := time.LoadLocation(a.Config.Schedule.Timezone)
	return status(ctx, a.Store, a.Jobs(), loc, a.now())
}

// status reads the report at now. Specs are read as the scheduler reads
// them, in loc when they carry no CRON_TZ= prefix.
func status(ctx context.Context, st *store.Store, jobs []schedule.JobSpec, loc *time.Location, now time.Time) (StatusReport, error) {
	if loc == nil {
		loc = time.Local
	}
	r := StatusReport{Now: now, Location: loc}
	runs, err := st.JobRuns(ctx)
	if err != nil {
		return StatusReport{}, err
	}
	byName := map[string]*store.JobRun{}
	for i := range runs {
		byName[runs[i].Job] = &runs[i]
	}
	for _, j := range jobs {
		js := JobStatus{Name: j.Name, Spec: j.Spec, Last: byName[j.Name]}
		if j.Spec != "" {
			sched, err := schedule.Parse(j.Spec, loc)
			if err != nil {
				return StatusReport{}, fmt.Errorf("%s: %w", j.Key, err)
			}
			js.Next = sched.Next(now)
		}
		r.Jobs = append(r.Jobs, js)
		delete(byName, j.Name)
	}
	for name, run := range byName {
		r.Jobs = append(r.Jobs, JobStatus{Name: name, Last: run})
	}
	sort.Slice(r.Jobs, func(a, b int) bool { return r.Jobs[a].Name < r.Jobs[b].Name })

	if r.Sources, err = st.ListSourceStates(ctx); err != nil {
		return StatusReport{}, err
	}
	if r.Paused, err = st.PausedSources(ctx); err != nil {
		return StatusReport{}, err
	}
	if r.Bounces, err = st.RecentBounces(ctx, bouncesShown); err != nil {
		return StatusReport{}, err
	}

	issue, err := st.LatestIssue(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return r, nil
	case err != nil:
		return StatusReport{}, err
	}
	counts, err := st.DeliveryCounts(ctx, issue.Number)
	if err != nil {
		return StatusReport{}, err
	}
	bounces, err := st.BounceCounts(ctx, issue.Number)
	if err != nil {
		return StatusReport{}, err
	}
	r.Issue = &IssueStatus{Number: issue.Number, Title: issue.Title, Created: issue.CreatedAt,
		Entries: len(issue.Entries), State: issue.State, SendError: issue.SendError, Deliveries: counts, Bounces: bounces}
	if counts[store.DeliverySending] > 0 {
		if r.Issue.Unconfirmed, err = st.Deliveries(ctx, issue.Number, store.DeliverySending, false, 0, unconfirmedShown); err != nil {
			return StatusReport{}, err
		}
	}
	return r, nil
}

// writeBounces lists the latest bounces and complaints, whichever issue
// they are about.
func (r StatusReport) writeBounces(tw *tabwriter.Writer, at func(time.Time) string, clean *strings.Replacer) {
	if len(r.Bounces) == 0 {
		return
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "LATEST BOUNCES\tISSUE\tKIND\tSTATUS\tSOURCE\tRECORDED\tWHAT THE SERVER SAID")
	for _, e := range r.Bounces {
		status := e.Status
		if status == "" {
			status = "-"
		}
		fmt.Fprintf(tw, "%s\t#%d\t%s\t%s\t%s\t%s\t%s\n", clean.Replace(e.Email), e.IssueNumber, e.Kind, clean.Replace(status),
			clean.Replace(e.Source), at(e.CreatedAt), clean.Replace(truncateText(e.Detail, 70)))
	}
}

// truncateText cuts s to n runes at most, marking the cut.
func truncateText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// JobOutcome sums up a run in a few words: ok, failed: why, running, or
// interrupted when its process died or was stopped at once during it.
func JobOutcome(run *store.JobRun) string {
	switch {
	case run == nil:
		return "never ran"
	case run.Running && run.Finished.IsZero():
		return "running"
	case run.Interrupted():
		return "interrupted"
	case run.OK:
		return "ok"
	}
	return "failed: " + run.Error
}

// WriteText writes the report as aligned columns for a terminal.
func (r StatusReport) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	at := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.In(r.Location).Format("2006-01-02 15:04 MST")
	}
	clean := strings.NewReplacer("\t", " ", "\n", " ", "\r", " ")

	fmt.Fprintln(tw, "JOB\tLAST RUN\tOUTCOME\tTOOK\tDETAIL\tNEXT RUN")
	for _, j := range r.Jobs {
		last, took, detail := "never", "-", ""
		if j.Last != nil {
			last = at(j.Last.Started) + " (" + j.Last.Cause + ")"
			if !j.Last.Finished.IsZero() {
				took = j.Last.Duration.Round(time.Millisecond).String()
			}
			detail = j.Last.Detail
		}
		next := at(j.Next)
		if j.Spec == "" {
			next = "not scheduled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", j.Name, last, clean.Replace(JobOutcome(j.Last)), took, clean.Replace(detail), next)
	}

	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "SOURCE\tLAST FETCH\tLAST SUCCESS\tSTATE")
	if len(r.Sources) == 0 && len(r.Paused) == 0 {
		fmt.Fprintln(tw, "(no feed source fetched yet)")
	}
	paused := func(name string) (string, bool) {
		p, ok := r.Paused[name]
		if !ok {
			return "", false
		}
		state := "PAUSED since " + at(p.PausedAt)
		if p.PausedBy != "" {
			state += " by " + p.PausedBy
		}
		return state + ": collect skips it", true
	}
	listed := map[string]bool{}
	for _, s := range r.Sources {
		listed[s.Name] = true
		state := "ok"
		p, isPaused := paused(s.Name)
		switch {
		case isPaused:
			state = p
		case !s.FailingSince.IsZero():
			state = fmt.Sprintf("FAILING since %s (%s): %s", at(s.FailingSince), plural(s.Failures, "failure", "failures"), s.LastError)
		case s.Failures > 0:
			state = fmt.Sprintf("%s: %s", plural(s.Failures, "failure", "failures"), s.LastError)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", clean.Replace(s.Name), at(s.LastFetch), at(s.LastSuccess), clean.Replace(state))
	}
	// Paused sources never fetched (a folder, or a feed paused before its
	// first fetch) have no state: listed all the same.
	names := make([]string, 0, len(r.Paused))
	for name := range r.Paused {
		if !listed[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		p, _ := paused(name)
		fmt.Fprintf(tw, "%s\t-\t-\t%s\n", clean.Replace(name), clean.Replace(p))
	}

	fmt.Fprintln(tw)
	if r.Issue == nil {
		fmt.Fprintln(tw, "LATEST ISSUE\tnone yet")
		return tw.Flush()
	}
	d := r.Issue.Deliveries
	state := string(r.Issue.State)
	if r.Issue.SendError != "" {
		state += ", stopped: " + r.Issue.SendError
	}
	fmt.Fprintf(tw, "LATEST ISSUE\t#%d %s\t%s\tbuilt %s\t%s\n", r.Issue.Number, clean.Replace(r.Issue.Title), plural(r.Issue.Entries, "entry", "entries"), at(r.Issue.Created), clean.Replace(state))
	sending := ""
	if n := d[store.DeliverySending]; n > 0 {
		// Being handed to the mail server now, or cut short while it was:
		// these may or may not have been delivered.
		sending = fmt.Sprintf(", %d in flight or cut short", n)
	}
	fmt.Fprintf(tw, "DELIVERIES\t%d sent, %d pending, %d failed%s\n",
		d[store.DeliverySent], d[store.DeliveryPending], d[store.DeliveryFailed], sending)
	b := r.Issue.Bounces
	fmt.Fprintf(tw, "AFTER THE SEND\t%s, %s, %s reported\n", plural(b[store.BounceHard], "hard bounce", "hard bounces"),
		plural(b[store.BounceSoft], "soft bounce", "soft bounces"), plural(b[store.BounceComplaint], "complaint", "complaints"))
	if len(r.Issue.Unconfirmed) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "UNCONFIRMED\tMESSAGE-ID\tSINCE\tLAST ERROR")
		for _, u := range r.Issue.Unconfirmed {
			fmt.Fprintf(tw, "%s\t<%s>\t%s\t%s\n", clean.Replace(u.Email), clean.Replace(u.MessageID), at(u.UpdatedAt), clean.Replace(u.LastError))
		}
		if more := d[store.DeliverySending] - len(r.Issue.Unconfirmed); more > 0 {
			fmt.Fprintf(tw, "(and %d more)\n", more)
		}
		fmt.Fprintf(tw, "\nThese were handed to the mail server, and the connection or the process ended\n"+
			"before its reply: most were delivered. \"bulletin send --issue %d --resend-unconfirmed\"\n"+
			"sends them again, which may give their subscribers a second copy.\n", r.Issue.Number)
	}
	r.writeBounces(tw, at, clean)
	return tw.Flush()
}
