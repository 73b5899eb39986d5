package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin"
	"github.com/bulletin-app/bulletin/internal/smtptest"
	"github.com/bulletin-app/bulletin/internal/storetest/testdb"
	"github.com/bulletin-app/bulletin/store"
)

// These tests run on PostgreSQL whatever backend the run was given: one is
// named in config.yaml, as a user would, or reached by db copy. Without a
// server for tests they skip (fail under BULLETIN_E2E=1).

func TestRunSendStatusOnPostgreSQL(t *testing.T) {
	pg := testdb.URL(t, testdb.Postgres)
	t.Setenv("BULLETIN_DATABASE_URL", "") // the config says where
	srv := smtptest.Start(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.yaml"), fmt.Sprintf(`database:
  url: %s
sources:
  - name: local
    folder: articles
subscribers:
  - Ada <ada@example.org>
  - bob@example.org
newsletter:
  smtp:
    host: %s
    port: %d
    tls: none
`, pg, srv.Host, srv.Port))
	writeFile(t, filepath.Join(dir, "articles", "one.txt"), goodArticle)

	code, stdout, stderr := runIn(t, dir, "run")
	if code != 0 || !strings.Contains(stdout, "issue: #1 with 1 entry") || !strings.Contains(stdout, "2 sent") {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, stderr := runIn(t, dir, "subscribers", "add", "--confirmed", "cy@example.org"); code != 0 {
		t.Fatalf("subscribers add: exit %d: %s", code, stderr)
	}
	// send goes to the one who has not had the issue; again, to no one.
	if code, stdout, stderr := runIn(t, dir, "send"); code != 0 || !strings.Contains(stdout, "1 sent") || !strings.Contains(stdout, "2 sent before") {
		t.Errorf("send: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, stderr := runIn(t, dir, "send"); code != 0 || !strings.Contains(stdout, "0 sent") {
		t.Errorf("send again: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if counts := srv.Counts(); len(counts) != 3 || counts["ada@example.org"] != 1 || counts["bob@example.org"] != 1 || counts["cy@example.org"] != 1 {
		t.Errorf("the server received %v; want one message each for 3 subscribers", counts)
	}
	code, stdout, stderr = runIn(t, dir, "status")
	if code != 0 || !regexp.MustCompile(`DELIVERIES\s+3 sent, 0 pending, 0 failed`).MatchString(stdout) ||
		!regexp.MustCompile(bulletin.JobIssue+`\s+\S+ \S+ UTC \(manual\)\s+ok`).MatchString(stdout) {
		t.Errorf("status: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// It all went to PostgreSQL: no SQLite file was made.
	if _, err := os.Stat(filepath.Join(dir, "data", "bulletin.db")); !os.IsNotExist(err) {
		t.Errorf("data/bulletin.db exists (err %v): the run did not use PostgreSQL alone", err)
	}
	st, err := store.Open(context.Background(), pg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if tot, err := st.Totals(context.Background()); err != nil || tot.Issues != 1 || tot.Deliveries[store.DeliverySent] != 3 {
		t.Errorf("PostgreSQL holds %+v, %v; want 1 issue and 3 sent", tot, err)
	}
}

func TestDBCopyMovesASQLiteStoreToPostgreSQL(t *testing.T) {
	pg := testdb.URL(t, testdb.Postgres)
	t.Setenv("BULLETIN_DATABASE_URL", "") // start on the default SQLite file
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.yaml"), "sources:\n  - name: local\n    folder: articles\nsubscribers:\n  - ada@example.org\n")
	writeFile(t, filepath.Join(dir, "articles", "one.txt"), goodArticle)
	if code, stdout, stderr := runIn(t, dir, "run"); code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	runIn(t, dir, "subscribers", "add", "bob@example.org") // pending: a confirmation goes to the outbox

	for _, bad := range [][]string{{"db", "copy"}, {"db", "copy", "--to", "sqlite:other.db"}, {"db", "vacuum"}} {
		if code, _, _ := runIn(t, dir, bad...); code != 2 {
			t.Errorf("%q: exit %d, want 2", bad, code)
		}
	}
	code, stdout, stderr := runIn(t, dir, "db", "copy", "--to", pg)
	if code != 0 {
		t.Fatalf("db copy: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{`articles\s+1\s+1`, `issues\s+1\s+1`, `subscribers\s+2\s+2`, `deliveries\s+1\s+1`, `job_runs\s+2\s+2`, "Every count matches"} {
		if !regexp.MustCompile(want).MatchString(stdout) {
			t.Errorf("db copy output lacks %s:\n%s", want, stdout)
		}
	}
	if code, _, stderr := runIn(t, dir, "db", "copy", "--to", pg); code != 1 || !strings.Contains(stderr, "not empty") {
		t.Errorf("second copy: exit %d, %s; want 1 and not empty", code, stderr)
	}

	// On PostgreSQL now: the same subscribers, and the ledger says the
	// issue went out already.
	os.Remove(filepath.Join(dir, "data", "bulletin.db"))
	t.Setenv("BULLETIN_DATABASE_URL", pg)
	if code, stdout, _ := runIn(t, dir, "subscribers", "list"); code != 0 || !strings.Contains(stdout, "ada@example.org") || !strings.Contains(stdout, "bob@example.org") {
		t.Errorf("subscribers on PostgreSQL: exit %d\n%s", code, stdout)
	}
	if code, stdout, stderr := runIn(t, dir, "send"); code != 0 || !strings.Contains(stdout, "0 sent") || !strings.Contains(stdout, "1 sent before") {
		t.Errorf("send on PostgreSQL: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, _ := runIn(t, dir, "status"); code != 0 || !regexp.MustCompile(`DELIVERIES\s+1 sent`).MatchString(stdout) {
		t.Errorf("status on PostgreSQL: exit %d\n%s", code, stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "bulletin.db")); !os.IsNotExist(err) {
		t.Errorf("the commands after the copy made a SQLite file again (err %v)", err)
	}
}
