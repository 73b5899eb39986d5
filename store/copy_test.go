package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/storetest/testdb"
	"github.com/bulletin-app/bulletin/source"
)

// TestCopyTablesMatchTheSchema holds copyTables to the schema the
// migrations make, in both dialects: every table and column is copied or
// named as left behind.
func TestCopyTablesMatchTheSchema(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		st := db.open(t)
		q := `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`
		if db.postgres() {
			q = `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()`
		}
		rows, err := st.db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		schema := map[string][]string{}
		for rows.Next() {
			var table, col string
			if err := rows.Scan(&table, &col); err != nil {
				t.Fatal(err)
			}
			schema[table] = append(schema[table], col)
		}
		for _, table := range notCopied {
			if schema[table] == nil {
				t.Errorf("%s: no table %s", db.backend, table)
			}
			delete(schema, table)
		}
		for _, ct := range copyTables {
			var cols []string
			for _, c := range ct.columns {
				cols = append(cols, c.name)
			}
			slices.Sort(cols)
			have := schema[ct.name]
			slices.Sort(have)
			if !slices.Equal(cols, have) {
				t.Errorf("%s: table %s has columns %v; the copy takes %v", db.backend, ct.name, have, cols)
			}
			delete(schema, ct.name)
		}
		for table := range schema {
			t.Errorf("%s: table %s is neither copied nor left behind on purpose", db.backend, table)
		}
	})
}

// fill puts a bit of everything into st, at whole-second times (which both
// databases keep exactly), and returns the number of the issue it sent.
func fill(t *testing.T, st *Store) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC)
	st.SetClock(func() time.Time { return now })
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range 6 {
		a := source.Article{Key: fmt.Sprintf("https://example.org/%d", i), URL: fmt.Sprintf("https://example.org/%d", i),
			Title: fmt.Sprintf("Story %d", i), Author: "Reporter", Source: "Example", Origin: "feed", Text: "Text ünïcode " + fmt.Sprint(i)}
		if i%2 == 0 {
			a.Published = now.Add(-time.Duration(i) * time.Hour)
		}
		if i == 1 {
			a.Image = source.Image{URL: "https://example.org/1.jpg", Width: 1200, Height: 630, Alt: "A picture"}
		}
		_, err := st.SaveArticle(ctx, a, i == 5)
		must(err)
	}
	todo, err := st.ArticlesToSummarize(ctx)
	must(err)
	for _, a := range todo {
		must(st.SaveEntry(ctx, Entry{ArticleID: a.ID, ContentHash: a.ContentHash, Summary: []string{"One.", "Two."}, Teaser: "T", Method: "extractive"}))
	}
	un, err := st.UnissuedEntries(ctx)
	must(err)
	// The first entry duplicates the last: a reference to a later row.
	must(st.MarkDuplicate(ctx, un[len(un)-1].ID, un[0].ID))
	_, err = st.CreateIssue(ctx, func(n int) string { return fmt.Sprint("Issue ", n) }, []int64{un[0].ID, un[1].ID})
	must(err)
	// A draft, edited: its state, the editor's texts beside the machine's,
	// the order and the audit log.
	_, err = st.CreateDraft(ctx, func(n int) string { return fmt.Sprint("Issue ", n) }, []int64{un[2].ID, un[3].ID})
	must(err)
	title := "Edited"
	must(st.EditEntry(ctx, 2, un[3].ID, &title, []string{"Mine."}, "cli:test"))
	must(st.MoveEntry(ctx, 2, un[3].ID, 1, "cli:test"))
	must(st.SetLead(ctx, 2, un[2].ID, "cli:test"))
	must(st.SetIssueIntro(ctx, 2, "*Hello*", "cli:test"))
	_, err = st.MoveIssue(ctx, 2, IssueScheduled, now.Add(24*time.Hour), "cli:test", AuditIssueSchedule, "")
	must(err)
	must(st.AddAudit(ctx, AuditEntry{Actor: "admin:ed", Action: "subscriber.import", Subscriber: 1, Source: "Example", Detail: "3 rows"}))
	// One left out of every issue.
	must(st.LeaveOutEntries(ctx, []int64{un[len(un)-1].ID}))
	must(st.SaveFileStamps(ctx, "Example", []source.FileStamp{{Path: "/srv/articles/a.md", Size: 1234,
		ModTime: time.Unix(1700000000, 123456789), Hash: "abc", Checked: now}}))
	for i, status := range []SubscriberStatus{StatusConfirmed, StatusConfirmed, StatusConfirmed, StatusPending, StatusUnsubscribed} {
		sub, _, err := st.AddSubscriber(ctx, fmt.Sprintf("Reader%d@Example.org", i), fmt.Sprint("Reader ", i), status)
		must(err)
		if status == StatusPending {
			must(st.MarkConfirmationSent(ctx, sub.ID, now))
		}
	}
	_, err = st.PlanDeliveries(ctx, 1, "example.org")
	must(err)
	// A weekly digest of that issue, for a reader who chose it.
	weekly, err := st.SubscriberByEmail(ctx, "reader2@example.org")
	must(err)
	must(st.SetPreferences(ctx, weekly.ID, CadenceWeekly, now.Add(-time.Hour)))
	w, err := st.CreateWeekly(ctx, now.Add(-7*24*time.Hour), now, "The week")
	must(err)
	_, err = st.PlanDeliveries(ctx, w.Number, "example.org")
	must(err)
	must(st.QueueWelcome(ctx, "reader0@example.org", "Reader 0"))
	pending, err := st.Deliveries(ctx, 1, DeliveryPending, false, 0, 0)
	must(err)
	_, err = st.ClaimDelivery(ctx, 1, pending[0].SubscriberID, DeliveryPending)
	must(err)
	must(st.MarkDeliverySent(ctx, 1, pending[0].SubscriberID))
	must(st.FailDelivery(ctx, 1, pending[1].SubscriberID, "550 no such user", true))
	_, err = st.RecordBounce(ctx, BounceEvent{IssueNumber: 1, SubscriberID: pending[0].SubscriberID, Kind: BounceSoft,
		Source: "mail", ReportID: "mail:copied", Status: "4.2.2", Detail: "452 4.2.2 mailbox full", ReportedAt: now}, 3)
	must(err)
	// A subscriber erased since: the ledger row stays, the address is a
	// suppression entry.
	must(st.ForgetSubscriber(ctx, "Reader4@Example.org"))
	must(st.RecordJobStart(ctx, "publish", now.Add(-time.Minute), "schedule"))
	must(st.RecordJobEnd(ctx, "publish", nil, "1 issue"))
	must(st.RecordJobStart(ctx, "collect", time.Time{}, "manual"))
	_, err = st.JobFiresDone(ctx, "publish", now.Add(-time.Hour))
	must(err)
	_, err = st.ClaimJobFire(ctx, "publish", now.Add(-time.Minute))
	must(err)
	must(st.CachePut(ctx, "llm:abc", []byte(`{"summary":["x"]}`)))
	must(st.SaveSourceState(ctx, "Example", source.State{ETag: `"e1"`, LastFetch: now, LastSuccess: now.Add(-time.Hour), Failures: 1,
		FirstFailure: now, LastError: "timeout", CutMark: "https://example.org/old"}))
	// Sign-ups waiting for their confirmation, one claimed and retried.
	for _, addr := range []string{"new1@example.org", "new2@example.org"} {
		_, err := st.QueueSignup(ctx, addr, "New", 0)
		must(err)
	}
	claimed, err := st.ClaimSignups(ctx, "worker", 1, time.Minute)
	must(err)
	must(st.RetrySignup(ctx, claimed[0].ID, "worker", now.Add(time.Hour)))
	// The desk: a user (signed in: the session is left behind) and a
	// paused source.
	ed, err := st.AddAdminUser(ctx, AdminUser{Name: "ed", Email: "ed@example.org", Role: RoleEditor, PasswordHash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA"})
	must(err)
	_, err = st.AddAdminSession(ctx, AdminSession{ID: "s1", SecretHash: "ab", User: ed, Client: "127.0.0.1"})
	must(err)
	_, err = st.PauseSource(ctx, "Example", "admin:ed")
	must(err)
	// A lease that ran out: left behind, and no obstacle.
	must(st.Lock(ctx, "publish", "old-host:123", time.Second))
	now = now.Add(time.Minute)
}

// view is what the store's API shows of its content, to compare two stores.
func view(t *testing.T, st *Store) map[string]any {
	t.Helper()
	ctx := context.Background()
	v := map[string]any{}
	add := func(name string, val any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		v[name] = val
	}
	issues, err := st.Issues(ctx, 0)
	add("issues", issues, err)
	list, err := st.IssueList(ctx, 0)
	add("issue list", list, err)
	draft, err := st.Issue(ctx, 2)
	add("draft", draft, err)
	audit, err := st.AuditLog(ctx, AuditQuery{})
	add("audit log", audit, err)
	un, err := st.UnissuedEntries(ctx)
	add("unissued", un, err)
	todo, err := st.ArticlesToSummarize(ctx)
	add("to summarize", todo, err)
	subs, err := st.Subscribers(ctx, "", 0, 0)
	add("subscribers", subs, err)
	for _, status := range []DeliveryStatus{DeliveryPending, DeliverySending, DeliverySent, DeliveryFailed} {
		d, err := st.Deliveries(ctx, 1, status, false, 0, 0)
		add("deliveries "+string(status), d, err)
	}
	runs, err := st.JobRuns(ctx)
	add("job runs", runs, err)
	done, err := st.JobFiresDone(ctx, "publish", time.Time{})
	add("fires", done, err)
	cached, _, err := st.CacheGet(ctx, "llm:abc")
	add("cache", string(cached), err)
	states, err := st.ListSourceStates(ctx)
	add("source states", states, err)
	stamps, err := st.FileStamps(ctx, "Example")
	add("file stamps", stamps, err)
	totals, err := st.FeedTotals(ctx)
	add("feed totals", totals, err)
	infos, err := st.IssueInfos(ctx, 0, 10)
	add("issue infos", infos, err)
	tot, err := st.Totals(ctx)
	add("totals", tot, err)
	ver, err := st.PublishedVersion(ctx)
	add("published version", ver, err)
	known, err := st.KnownArticle(ctx, "https://example.org/5")
	add("known seeded", known, err)
	suppressed, err := st.Suppressed(ctx, "reader4@example.org")
	add("suppressed", suppressed, err)
	bounces, err := st.RecentBounces(ctx, 10)
	add("bounces", bounces, err)
	users, err := st.AdminUsers(ctx)
	add("desk users", users, err)
	paused, err := st.PausedSources(ctx)
	add("paused sources", paused, err)
	return v
}

func TestCopyToPostgres(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		src := db.open(t)
		fill(t, src)
		dst := testDB{testdb.Postgres}.open(t)
		dst.SetClock(src.now)

		var seen []string
		counts, err := src.CopyTo(ctx, dst, func(table string, done, total int) {
			if done == total && (len(seen) == 0 || seen[len(seen)-1] != table) {
				seen = append(seen, table)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(counts) != len(copyTables) || len(seen) != len(copyTables) {
			t.Errorf("counts for %d tables, progress for %v; want all %d", len(counts), seen, len(copyTables))
		}
		for _, c := range counts {
			if c.Source == 0 || c.Copied != c.Source {
				t.Errorf("%s: %d rows in the source, %d copied; want the same, and some", c.Table, c.Source, c.Copied)
			}
		}
		// The target's triggers counted the rows as they came.
		checkTallies(t, dst, "after the copy")
		if st, dt := func() (map[string]int64, map[string]int64) {
			a, _ := tallyCounts(t, src)
			b, _ := tallyCounts(t, dst)
			return a, b
		}(); !reflect.DeepEqual(st, dt) {
			t.Errorf("tallies differ after the copy:\nsource %v\ntarget %v", st, dt)
		}
		want, got := view(t, src), view(t, dst)
		for k := range want {
			if !reflect.DeepEqual(want[k], got[k]) {
				t.Errorf("%s differs after the copy:\nsource %+v\ntarget %+v", k, want[k], got[k])
			}
		}

		// The target goes on from there: new rows get new ids.
		sub, created, err := dst.AddSubscriber(ctx, "new@example.org", "", StatusConfirmed)
		if err != nil || !created {
			t.Fatalf("add after copy: %v %v", created, err)
		}
		subs, _ := src.Subscribers(ctx, "", 0, 0)
		if sub.ID <= subs[len(subs)-1].ID {
			t.Errorf("new subscriber got id %d, not past the copied %d", sub.ID, subs[len(subs)-1].ID)
		}
		if _, err := dst.SaveArticle(ctx, source.Article{Key: "https://example.org/new", Title: "New", Text: "x"}, false); err != nil {
			t.Errorf("new article after copy: %v", err)
		}
		// The scheduled issue holds the next back until it is released.
		if _, err := dst.MoveIssue(ctx, 2, IssueSending, time.Now(), "cli:test", AuditIssueRelease, ""); err != nil {
			t.Errorf("release the copied scheduled issue: %v", err)
		}
		if _, err := dst.CreateIssue(ctx, func(int) string { return "Next" }, nil); err != nil {
			t.Errorf("new issue after copy: %v", err)
		}

		// A target that is not empty is refused, and left as it is.
		before, _ := dst.Totals(ctx)
		if _, err := src.CopyTo(ctx, dst, nil); !errors.Is(err, ErrNotEmpty) {
			t.Errorf("copy onto a full target: %v, want ErrNotEmpty", err)
		}
		if after, _ := dst.Totals(ctx); !reflect.DeepEqual(before, after) {
			t.Errorf("refused copy changed the target: %+v → %+v", before, after)
		}
	})
}

func TestCopyRefusesALiveLease(t *testing.T) {
	ctx := context.Background()
	src := testDB{testdb.SQLite}.open(t)
	dst := testDB{testdb.Postgres}.open(t)
	if err := src.Lock(ctx, "send-1", "host:42", time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := src.CopyTo(ctx, dst, nil); !errors.Is(err, ErrLocked) {
		t.Errorf("copy while a send holds its lease: %v, want ErrLocked", err)
	}
}

// TestFailedCopyLeavesTheTargetEmpty makes PostgreSQL refuse a row that
// SQLite took (a NUL in a text): nothing of the copy remains.
func TestFailedCopyLeavesTheTargetEmpty(t *testing.T) {
	ctx := context.Background()
	src := testDB{testdb.SQLite}.open(t)
	dst := testDB{testdb.Postgres}.open(t)
	fill(t, src)
	if _, err := src.db.Exec(`UPDATE articles SET text = 'a' || char(0) || 'b' WHERE id = (SELECT max(id) FROM articles)`); err != nil {
		t.Fatal(err)
	}
	_, err := src.CopyTo(ctx, dst, nil)
	if err == nil {
		t.Fatal("copy of a NUL into PostgreSQL text succeeded")
	}
	t.Logf("copy failed as it should: %v", err)
	if tot, _ := dst.Totals(ctx); tot.Articles != 0 || tot.Entries != 0 || tot.Issues != 0 {
		t.Errorf("a failed copy left %+v in the target", tot)
	}
	if err := checkEmptyDB(ctx, dst); err != nil {
		t.Error(err)
	}
}

func checkEmptyDB(ctx context.Context, st *Store) error {
	for _, ct := range copyTables {
		var n int
		if err := st.db.QueryRowContext(ctx, `SELECT count(*) FROM `+ct.name).Scan(&n); err != nil {
			return err
		}
		if n != 0 {
			return fmt.Errorf("%s has %d rows", ct.name, n)
		}
	}
	return nil
}
