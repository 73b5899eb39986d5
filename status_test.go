package bulletin

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/storetest"
	"github.com/bulletin-app/bulletin/schedule"
	"github.com/bulletin-app/bulletin/source"
	"github.com/bulletin-app/bulletin/store"
)

func TestStatusReport(t *testing.T) {
	ctx := context.Background()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	st := storetest.Open(t)
	st.SetClock(func() time.Time { return now })

	jobs := []schedule.JobSpec{
		{Name: "collect", Key: "schedule.jobs.collect", Spec: "*/30 * * * *",
			Run: func(context.Context) (string, error) { return "12 articles, 2 new", nil }},
		{Name: "issue", Key: "schedule.jobs.issue", Spec: "0 7 * * 1",
			Run: func(context.Context) (string, error) { return "", errors.New("smtp: connection refused") }},
		{Name: "digest", Key: "schedule.jobs.digest", Spec: "@daily", Run: func(context.Context) (string, error) { return "", nil }},
		{Name: "import", Run: func(context.Context) (string, error) { return "", nil }}, // by hand only
	}
	s, err := schedule.New(st, jobs, schedule.Options{Location: ny})
	if err != nil {
		t.Fatal(err)
	}
	s.RunNow(ctx, "collect")
	s.RunNow(ctx, "issue")
	// A job removed from the config, whose run was cut short by a crash.
	if err := st.RecordJobStart(ctx, "old", now.Add(-time.Hour), schedule.CauseSchedule); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveSourceState(ctx, "upstream", source.State{LastFetch: now, LastSuccess: now.Add(-48 * time.Hour),
		Failures: 5, FirstFailure: now.Add(-24 * time.Hour), FailingSince: now.Add(-12 * time.Hour), LastError: "HTTP 503"}); err != nil {
		t.Fatal(err)
	}

	r, err := status(ctx, st, jobs, ny, now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Issue != nil {
		t.Errorf("Issue = %+v before any issue", r.Issue)
	}
	want := []struct {
		name, outcome string
		next          time.Time
	}{
		{"collect", "ok", time.Date(2026, 3, 2, 12, 30, 0, 0, time.UTC)},
		{"digest", "never ran", time.Date(2026, 3, 3, 0, 0, 0, 0, ny)},
		{"import", "never ran", time.Time{}},
		{"issue", "failed: smtp: connection refused", time.Date(2026, 3, 9, 7, 0, 0, 0, ny)},
		{"old", "interrupted", time.Time{}},
	}
	if len(r.Jobs) != len(want) {
		t.Fatalf("Jobs = %+v", r.Jobs)
	}
	for i, w := range want {
		j := r.Jobs[i]
		if j.Name != w.name || JobOutcome(j.Last) != w.outcome || !j.Next.Equal(w.next) {
			t.Errorf("job %d = %s, %q, next %v; want %s, %q, next %v", i, j.Name, JobOutcome(j.Last), j.Next, w.name, w.outcome, w.next)
		}
	}

	// An issue with four deliveries: one sent, one failed, one pending, and
	// one left unconfirmed (claimed, its reply never read).
	issue, err := st.CreateIssue(ctx, func(int) string { return "Week\t10" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, addr := range []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"} {
		sub, _, err := st.AddSubscriber(ctx, addr, "", store.StatusConfirmed)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sub.ID)
	}
	st.PlanDeliveries(ctx, issue.Number, "example.com")
	st.MarkDeliverySent(ctx, issue.Number, ids[0])
	st.FailDelivery(ctx, issue.Number, ids[1], "550", false)
	if ok, err := st.ClaimDelivery(ctx, issue.Number, ids[3], store.DeliveryPending); !ok || err != nil {
		t.Fatal(ok, err)
	}

	if r, err = status(ctx, st, jobs, ny, now); err != nil {
		t.Fatal(err)
	}
	if r.Issue == nil || r.Issue.Number != 1 || r.Issue.Deliveries[store.DeliverySent] != 1 ||
		r.Issue.Deliveries[store.DeliveryFailed] != 1 || r.Issue.Deliveries[store.DeliveryPending] != 1 {
		t.Fatalf("Issue = %+v", r.Issue)
	}
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "#1 Week 10") {
		t.Errorf("the tab in the title breaks the columns:\n%s", b.String())
	}
	text := strings.Join(strings.Fields(b.String()), " ") // the columns' padding aside
	for _, want := range []string{
		"12 articles, 2 new",
		"2026-03-02 07:30 EST", // collect's next run, in the configured zone
		"not scheduled",
		"FAILING since 2026-03-01 19:00 EST (5 failures): HTTP 503",
		"LATEST ISSUE #1 Week 10",
		"#1 Week 10", // the tab in the title does not break the columns
		"1 sent, 1 pending, 1 failed, 1 in flight or cut short",
		"d@example.com <bulletin.1.4.", // the unconfirmed row, by address and Message-ID
		"--resend-unconfirmed",
		"0 entries", "(5 failures)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("status text lacks %q:\n%s", want, text)
		}
	}
}
