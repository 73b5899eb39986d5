package bulletin

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/clocktest"

	"github.com/bulletin-app/bulletin/store"
)

// serveFor runs the app's schedule as serve does, a process started at
// from and stopped at to, on simulated time.
func (r *reviewApp) serveFor(t *testing.T, clk *clocktest.Sim, from, to time.Time) {
	t.Helper()
	clk.Set(from)
	clk.SetEnd(to)
	r.clock = clk
	r.Now = clk.Now
	r.Store.SetClock(clk.Now)
	sched, err := r.scheduler(r.Jobs(), nil)
	if err != nil {
		t.Fatal(err)
	}
	clk.SetSettle(sched.WaitIdle)
	if err := r.runSchedule(context.Background(), sched); err != nil {
		t.Fatal(err)
	}
}

// restart is reopen on the fake clock: a new process, nothing in memory.
func (r *reviewApp) restart(t *testing.T, clk *clocktest.Sim) {
	t.Helper()
	r.reopen(t)
	r.Now = clk.Now
	r.Store.SetClock(clk.Now)
}

// releasedAt is when the audit log says issue n was released, and by whom.
func releasedAt(t *testing.T, st *store.Store, n int) (time.Time, string) {
	t.Helper()
	log, err := st.AuditLog(context.Background(), store.AuditQuery{Issue: n})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range log {
		if e.Action == store.AuditIssueRelease {
			return e.At, e.Actor
		}
	}
	return time.Time{}, ""
}

// TestScheduledIssueIsSentAtItsTimeOnce drives serve's scheduler through
// simulated hours in Berlin: a scheduled issue goes out at its minute,
// once; a restart sends nothing again; one whose time passed while serve
// was down goes out when it starts within schedule.catch_up, and one
// later than that goes back to draft; a send cut short by a crash is
// finished, without anyone getting a second copy.
func TestScheduledIssueIsSentAtItsTimeOnce(t *testing.T) {
	ctx := context.Background()
	r := newReviewApp(t, "schedule:\n  timezone: Europe/Berlin\n  catch_up: 1h\n  jobs:\n    collect: \"\"\n    issue: \"\"\n")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	day := func(h, m int) time.Time { return time.Date(2026, 12, 2, h, m, 0, 0, berlin) }
	clk := &clocktest.Sim{}
	clk.Set(day(8, 0))
	r.Now = clk.Now
	r.Store.SetClock(clk.Now)

	d := r.draft(t)
	if err := r.ScheduleIssue(ctx, "cli:ed", d.Number, day(7, 59)); !errors.Is(err, ErrInvalid) {
		t.Errorf("scheduling at a past time: %v, want ErrInvalid", err)
	}
	at, err := r.ParseSendTime("2026-12-02 09:00")
	if err != nil || !at.Equal(day(9, 0)) {
		t.Fatalf("ParseSendTime = %v, %v; want 09:00 in Berlin", at, err)
	}
	if err := r.ScheduleIssue(ctx, "cli:ed", d.Number, at); err != nil {
		t.Fatal(err)
	}

	// Up from 08:55 to 09:03: out at 09:00, once to each subscriber.
	r.serveFor(t, clk, day(8, 55), day(9, 3))
	if counts := r.smtp.Counts(); len(counts) != 2 || counts["reader@example.com"] != 1 || counts["second@example.org"] != 1 {
		t.Fatalf("after 09:00 the server has %v; want one message each", counts)
	}
	if when, who := releasedAt(t, r.Store, d.Number); !when.Equal(day(9, 0)) || who != ActorSendJob {
		t.Errorf("released at %v by %q; want 09:00 by %s", when.In(berlin), who, ActorSendJob)
	}
	if is, _ := r.Issue(ctx, d.Number); is.State != store.IssueSent {
		t.Errorf("after its send the issue is %s", is.State)
	}
	// A restart, and hours more: nothing again.
	r.restart(t, clk)
	r.serveFor(t, clk, day(9, 3), day(9, 20))
	if n := r.smtp.Total(); n != 2 {
		t.Fatalf("after a restart the server has %d messages, want 2", n)
	}

	// The next issue is due at 10:00, while serve is down from 09:20 to
	// 10:30: made up at the start, within the hour of catch-up, once.
	r.addArticle(t, "ferry", "Ferry timetable changes for the winter",
		"The harbour ferry will sail every forty minutes from December, the operator said. Two crossings in the late evening are cut. Season tickets keep their price until March.")
	second := r.draft(t)
	if err := r.ScheduleIssue(ctx, "cli:ed", second.Number, day(10, 0)); err != nil {
		t.Fatal(err)
	}
	r.restart(t, clk)
	r.serveFor(t, clk, day(10, 30), day(10, 33))
	if n := r.smtp.Total(); n != 4 {
		t.Fatalf("after a catch-up the server has %d messages, want 4", n)
	}
	if when, _ := releasedAt(t, r.Store, second.Number); !when.Equal(day(10, 30)) {
		t.Errorf("the missed issue went out at %v, want at the start, 10:30", when.In(berlin))
	}
	r.restart(t, clk)
	r.serveFor(t, clk, day(10, 33), day(10, 40))
	if n := r.smtp.Total(); n != 4 {
		t.Fatalf("after another restart the server has %d messages, want 4", n)
	}

	// Due at 12:00, serve down until 13:30: later than the hour of
	// catch-up, so a draft again, mailed to nobody, and the log says why.
	r.addArticle(t, "choir", "School choir sings at the town hall concert",
		"Forty pupils of the north school sang carols at the town hall on Friday. The mayor thanked their music teacher. Donations from the evening go to the children's hospital.")
	third := r.draft(t)
	if err := r.ScheduleIssue(ctx, "cli:ed", third.Number, day(12, 0)); err != nil {
		t.Fatal(err)
	}
	r.restart(t, clk)
	r.serveFor(t, clk, day(13, 30), day(13, 32))
	if is, _ := r.Issue(ctx, third.Number); is.State != store.IssueDraft || r.smtp.Total() != 4 {
		t.Errorf("an issue missed by more than catch_up: %s, %d messages; want a draft, 4", is.State, r.smtp.Total())
	}
	if log, _ := r.AuditLog(ctx, store.AuditQuery{Issue: third.Number, Limit: 1}); len(log) != 1 || log[0].Action != store.AuditIssueMissed || log[0].Actor != ActorSendJob {
		t.Errorf("audit log %+v; want the miss", log)
	}

	// Scheduled again for 14:00, released then, and the process dies with
	// one message sent and one not: the next start finishes the send, and
	// no one gets a second copy.
	if err := r.ScheduleIssue(ctx, "cli:ed", third.Number, day(14, 0)); err != nil {
		t.Fatal(err)
	}
	clk.Set(day(14, 0))
	if ok, err := r.Store.ReleaseIfDue(ctx, third.Number, day(14, 0), ActorSendJob, ""); !ok || err != nil {
		t.Fatalf("release: %v, %v", ok, err)
	}
	if _, err := r.Store.PlanDeliveries(ctx, third.Number, "example.org"); err != nil {
		t.Fatal(err)
	}
	reader, _ := r.Store.SubscriberByEmail(ctx, "reader@example.com")
	if err := r.Store.MarkDeliverySent(ctx, third.Number, reader.ID); err != nil {
		t.Fatal(err)
	}
	r.restart(t, clk)
	r.serveFor(t, clk, day(14, 2), day(14, 4))
	counts := r.smtp.Counts()
	if counts["second@example.org"] != 3 || counts["reader@example.com"] != 2 {
		t.Errorf("after the crash and a start: %v; want 3 for second@ (its third issue), 2 for reader@ (marked sent before the crash)", counts)
	}
	if is, _ := r.Issue(ctx, third.Number); is.State != store.IssueSent {
		t.Errorf("the finished send left the issue %s", is.State)
	}
	var states []store.IssueState
	list, _ := r.ListIssues(ctx, 0)
	for _, is := range list {
		states = append(states, is.State)
	}
	if !slices.Equal(states, []store.IssueState{store.IssueSent, store.IssueSent, store.IssueSent}) {
		t.Errorf("states %v", states)
	}
}

// newScheduleApp is newReviewApp in UTC with only the send-scheduled job,
// on a fake clock at 08:00 on 2 December 2026; at(h, m) is a time that day.
func newScheduleApp(t *testing.T) (*reviewApp, *clocktest.Sim, func(h, m int) time.Time) {
	t.Helper()
	r := newReviewApp(t, "schedule:\n  timezone: UTC\n  jobs:\n    collect: \"\"\n    issue: \"\"\n")
	at := func(h, m int) time.Time { return time.Date(2026, 12, 2, h, m, 0, 0, time.UTC) }
	clk := &clocktest.Sim{}
	clk.Set(at(8, 0))
	r.Now = clk.Now
	r.Store.SetClock(clk.Now)
	return r, clk, at
}

// TestCancelledIssueIsNotSent: cancelled before its time, an issue stays a
// draft through it; scheduled again, it goes at the new time.
func TestCancelledIssueIsNotSent(t *testing.T) {
	ctx := context.Background()
	r, clk, at := newScheduleApp(t)
	d := r.draft(t)
	if err := r.ScheduleIssue(ctx, "cli:ed", d.Number, at(9, 0)); err != nil {
		t.Fatal(err)
	}
	if err := r.CancelSchedule(ctx, "cli:ed", d.Number); err != nil {
		t.Fatal(err)
	}
	r.serveFor(t, clk, at(8, 58), at(9, 5))
	if n := r.smtp.Total(); n != 0 {
		t.Fatalf("a cancelled issue was sent: %d messages", n)
	}
	if err := r.ScheduleIssue(ctx, "cli:ed", d.Number, at(9, 30)); err != nil {
		t.Fatal(err)
	}
	r.serveFor(t, clk, at(9, 5), at(9, 35))
	if n := r.smtp.Total(); n != 2 {
		t.Errorf("scheduled again, %d messages; want 2", n)
	}
	if when, _ := releasedAt(t, r.Store, d.Number); !when.Equal(at(9, 30)) {
		t.Errorf("released at %v, want 09:30", when)
	}
}

// TestReleaseLeavesTheSendToTheJob: Release publishes at once and returns;
// the send-scheduled job sends within the minute.
func TestReleaseLeavesTheSendToTheJob(t *testing.T) {
	ctx := context.Background()
	r, clk, at := newScheduleApp(t)
	d := r.draft(t)
	if err := r.Release(ctx, "admin:ed", d.Number); err != nil {
		t.Fatal(err)
	}
	if r.smtp.Total() != 0 || len(r.feedItems(t, "feed.json")) != len(d.Entries) {
		t.Fatalf("after Release: %d messages, %d feed items; want 0 and the issue published", r.smtp.Total(), len(r.feedItems(t, "feed.json")))
	}
	r.serveFor(t, clk, at(8, 0), at(8, 2))
	if n := r.smtp.Total(); n != 2 {
		t.Errorf("the job sent %d messages, want 2", n)
	}
	if is, _ := r.Issue(ctx, d.Number); is.State != store.IssueSent {
		t.Errorf("issue %s", is.State)
	}
}

// TestScheduledIssueAcrossTheClockChange: 02:30 on the night Berlin's
// clocks go back is twice; the issue goes out once, at the first.
func TestScheduledIssueAcrossTheClockChange(t *testing.T) {
	ctx := context.Background()
	r := newReviewApp(t, "schedule:\n  timezone: Europe/Berlin\n  jobs:\n    collect: \"\"\n    issue: \"\"\n")
	clk := &clocktest.Sim{}
	clk.Set(time.Date(2026, 10, 24, 20, 0, 0, 0, time.UTC))
	r.Now = clk.Now
	r.Store.SetClock(clk.Now)
	d := r.draft(t)
	at, err := r.ParseSendTime("2026-10-25 02:30")
	if err != nil {
		t.Fatal(err)
	}
	first := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC) // 02:30 CEST; 02:30 CET is 01:30 UTC
	if !at.Equal(first) {
		t.Fatalf("02:30 read as %v, want %v", at.UTC(), first)
	}
	if err := r.ScheduleIssue(ctx, "cli:ed", d.Number, at); err != nil {
		t.Fatal(err)
	}
	r.serveFor(t, clk, time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 25, 2, 0, 0, 0, time.UTC))
	if n := r.smtp.Total(); n != 2 {
		t.Errorf("%d messages across the night, want 2", n)
	}
	if when, _ := releasedAt(t, r.Store, d.Number); !when.Equal(first) {
		t.Errorf("released at %v, want %v", when.UTC(), first)
	}
	if _, err := r.ParseSendTime("2026-03-29 02:30"); !errors.Is(err, ErrInvalid) {
		t.Errorf("a time the clocks skip: %v, want ErrInvalid", err)
	}
}
