package bulletin

import (
	"context"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/storetest"
	"github.com/bulletin-app/bulletin/store"
)

// TestOpenHandsTheFormerJobsHistoryOn opens a database in which the issue
// job ran as publish, before it was renamed: its last run shows under the
// new name, and the fire time it took care of is not made up again.
func TestOpenHandsTheFormerJobsHistoryOn(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg, err := LoadConfig(writeConfig(t, dir, "data_dir: data\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database.URL = storetest.DatabaseURL(t)
	due := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	old, err := store.Open(ctx, cfg.DatabaseURL())
	if err != nil {
		t.Fatal(err)
	}
	if err := old.RecordJobStart(ctx, "publish", due, "schedule"); err != nil {
		t.Fatal(err)
	}
	if err := old.RecordJobEnd(ctx, "publish", nil, "1 summarized, issue #1 with 1 entries"); err != nil {
		t.Fatal(err)
	}
	if _, err := old.ClaimJobFire(ctx, "publish", due); err != nil {
		t.Fatal(err)
	}
	old.Close()

	app, err := Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	app.Now = func() time.Time { return due.Add(time.Hour) }
	rep, err := app.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var issue *JobStatus
	for i, j := range rep.Jobs {
		names = append(names, j.Name)
		if j.Name == JobIssue {
			issue = &rep.Jobs[i]
		}
	}
	if len(rep.Jobs) != 3 || issue == nil {
		t.Fatalf("jobs %q; want collect, issue and weekly", names)
	}
	if issue.Last == nil || issue.Last.Detail != "1 summarized, issue #1 with 1 entries" || JobOutcome(issue.Last) != "ok" {
		t.Errorf("issue's last run %+v; want publish's", issue.Last)
	}
	done, err := app.Store.JobFiresDone(ctx, JobIssue, due.Add(time.Hour))
	if err != nil || !done.Equal(due) {
		t.Errorf("issue's fires done up to %v, %v; want %v, as publish's were", done, err, due)
	}
}
