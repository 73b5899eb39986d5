package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/bulletin-app/bulletin/source"
)

func TestDialectsHaveTheSameMigrations(t *testing.T) {
	var lists [][]string
	for _, d := range dialects {
		names, err := migrationNames(d)
		if err != nil || len(names) == 0 {
			t.Fatalf("%s migrations: %v, %v", d.name, names, err)
		}
		lists = append(lists, names)
	}
	if !slices.Equal(lists[0], lists[1]) {
		t.Errorf("migrations differ:\n%s: %v\n%s: %v", dialects[0].name, lists[0], dialects[1].name, lists[1])
	}
}

func TestDialectsHaveTheSameQueries(t *testing.T) {
	var sets [][]string
	for _, d := range dialects {
		byName, err := parseQueries(sqlFiles, "queries/"+d.name)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for n := range byName {
			names = append(names, n)
		}
		slices.Sort(names)
		sets = append(sets, names)
		// And each is what the Go code runs, no more, no less.
		if _, err := loadQueries(d); err != nil {
			t.Errorf("%s: %v", d.name, err)
		}
	}
	if !slices.Equal(sets[0], sets[1]) {
		t.Errorf("query names differ:\n%s: %v\n%s: %v", dialects[0].name, sets[0], dialects[1].name, sets[1])
	}
	seen := map[string]bool{}
	for id, name := range queryNames {
		if name == "" || seen[name] {
			t.Errorf("query id %d has name %q (empty or taken)", id, name)
		}
		seen[name] = true
	}
}

func TestParseQueriesRefusesNamelessAndRepeatedNames(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"-- name: a\nSELECT 1\n-- name: a\nSELECT 2\n", `"a" is named twice`},
		{"-- name:\nSELECT 1\n", "without a name"},
	} {
		fsys := fstest.MapFS{"q/x.sql": {Data: []byte(tc.file)}}
		if _, err := parseQueries(fsys, "q"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want %q", tc.file, err, tc.want)
		}
	}
	fsys := fstest.MapFS{"q/x.sql": {Data: []byte("-- leading comment\n\n-- name: a\n-- why\nSELECT 1\n\n-- name: b\n-- nothing to do here\n")}}
	got, err := parseQueries(fsys, "q")
	if err != nil || executable(got["a"]) != "-- why\nSELECT 1" || executable(got["b"]) != "" {
		t.Errorf("parsed %q, %v", got, err)
	}
}

func TestOpenRefusesBadTargets(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ target, want string }{
		{"", "no database path or URL"},
		{"sqlite:", "needs a file path"},
		{"postgres://bulletin:s3cret@127.0.0.1:1/x?connect_timeout=1", "127.0.0.1:1"},
	} {
		_, err := Open(ctx, tc.target)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %v; want an error with %q", tc.target, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Open(%q): the error shows the password: %v", tc.target, err)
		}
	}
}

// TestConcurrentOpensMigrateOnce opens one new database from several
// goroutines at once, each with its own connections as separate processes
// would have: each migration must be applied once and every Open succeed.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		target := db.url(t)
		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		stores := make([]*Store, n)
		for i := range n {
			wg.Go(func() { stores[i], errs[i] = Open(context.Background(), target) })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Errorf("Open %d: %v", i, errs[i])
				continue
			}
			defer stores[i].Close()
		}
		checkMigratedOnce(t, db, target)
	})
}

// TestMigrateHelper is the process TestConcurrentProcessesMigrateOnce
// starts: it opens the store BULLETIN_MIGRATE_HELPER names and exits.
func TestMigrateHelper(t *testing.T) {
	target := os.Getenv("BULLETIN_MIGRATE_HELPER")
	if target == "" {
		return // not a check by itself
	}
	st, err := Open(context.Background(), target)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	st.Close()
	os.Exit(0)
}

func TestConcurrentProcessesMigrateOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		target := db.url(t)
		const n = 4
		cmds := make([]*exec.Cmd, n)
		outs := make([]strings.Builder, n)
		for i := range n {
			cmds[i] = exec.Command(os.Args[0], "-test.run=^TestMigrateHelper$")
			cmds[i].Env = append(os.Environ(), "BULLETIN_MIGRATE_HELPER="+target)
			cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
			if err := cmds[i].Start(); err != nil {
				t.Fatal(err)
			}
		}
		for i, c := range cmds {
			if err := c.Wait(); err != nil {
				t.Errorf("process %d: %v\n%s", i, err, outs[i].String())
			}
		}
		checkMigratedOnce(t, db, target)
	})
}

func checkMigratedOnce(t *testing.T, db testDB, target string) {
	t.Helper()
	st := db.openURL(t, target)
	want, _ := migrationNames(st.dialect)
	rows, err := st.db.Query(`SELECT name FROM schema_migrations ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		got = append(got, n)
	}
	if !slices.Equal(got, want) {
		t.Errorf("schema_migrations = %v, want each of %v once", got, want)
	}
}

// The guarantees SQLite has from its single writer, PostgreSQL must have
// from row locks: the tests below race several stores (as processes) on
// one database.

func openShared(t *testing.T, db testDB, n int) []*Store {
	t.Helper()
	target := db.url(t)
	stores := make([]*Store, n)
	for i := range stores {
		stores[i] = db.openURL(t, target)
	}
	return stores
}

func TestConcurrentLedgersClaimEachRowOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		const senders, rows, group = 4, 200, 10
		stores := openShared(t, db, senders)
		if _, err := stores[0].CreateIssue(ctx, func(int) string { return "One" }, nil); err != nil {
			t.Fatal(err)
		}
		var subs []NewSubscriber
		for i := range rows {
			subs = append(subs, NewSubscriber{Email: fmt.Sprintf("r%d@example.com", i), Status: StatusConfirmed})
		}
		if _, _, err := stores[0].ImportSubscribers(ctx, subs); err != nil {
			t.Fatal(err)
		}
		if _, err := stores[0].PlanDeliveries(ctx, 1, "example.com"); err != nil {
			t.Fatal(err)
		}
		pending, err := stores[0].Deliveries(ctx, 1, DeliveryPending, false, 0, 0)
		if err != nil || len(pending) != rows {
			t.Fatalf("planned %d rows, %v", len(pending), err)
		}
		// Every sender claims every row, in groups, and marks what it
		// claimed sent with its next group.
		var mu sync.Mutex
		claimedBy := map[int64][]int{}
		var wg sync.WaitGroup
		for w := range senders {
			wg.Go(func() {
				l, err := stores[w].Ledger(ctx, 1)
				if err != nil {
					t.Error(err)
					return
				}
				defer l.Close()
				var sent []int64
				for i := 0; i < rows; i += group {
					var claims []Claim
					for _, d := range pending[i:min(i+group, rows)] {
						claims = append(claims, Claim{SubscriberID: d.SubscriberID, From: DeliveryPending})
					}
					if err := l.Commit(ctx, claims, sent); err != nil {
						t.Errorf("sender %d: %v", w, err)
						return
					}
					sent = sent[:0]
					for _, c := range claims {
						if c.Claimed {
							sent = append(sent, c.SubscriberID)
							mu.Lock()
							claimedBy[c.SubscriberID] = append(claimedBy[c.SubscriberID], w)
							mu.Unlock()
						}
					}
				}
				if err := l.Commit(ctx, nil, sent); err != nil {
					t.Errorf("sender %d: %v", w, err)
				}
			})
		}
		wg.Wait()
		workers := map[int]bool{}
		for _, d := range pending {
			if by := claimedBy[d.SubscriberID]; len(by) != 1 {
				t.Errorf("row %d claimed by %v, want exactly one sender", d.SubscriberID, by)
			} else {
				workers[by[0]] = true
			}
		}
		counts, err := stores[0].DeliveryCounts(ctx, 1)
		if err != nil || counts[DeliverySent] != rows || len(counts) != 1 {
			t.Errorf("counts %v, %v; want all %d sent", counts, err, rows)
		}
		t.Logf("%d rows claimed once each, by %d of %d senders", rows, len(workers), senders)
		checkTallies(t, stores[0], "after the senders")
	})
}

func TestConcurrentLocksHaveOneHolder(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		stores := openShared(t, db, 8)
		for round := range 5 {
			name := fmt.Sprint("job-", round)
			var wg sync.WaitGroup
			errs := make([]error, len(stores))
			for i, st := range stores {
				wg.Go(func() { errs[i] = st.Lock(ctx, name, fmt.Sprint("holder-", i), time.Minute) })
			}
			wg.Wait()
			won := 0
			for i, err := range errs {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, ErrLocked):
					t.Errorf("round %d, holder %d: %v", round, i, err)
				}
			}
			if won != 1 {
				t.Errorf("round %d: %d holders got the lock, want 1 (%v)", round, won, errs)
			}
		}
	})
}

func TestConcurrentSavesOfOneArticle(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		stores := openShared(t, db, 6)
		a := source.Article{Key: "https://example.org/a", Title: "A", Text: "text"}
		var wg sync.WaitGroup
		outs := make([]Outcome, len(stores))
		errs := make([]error, len(stores))
		for i, st := range stores {
			wg.Go(func() { outs[i], errs[i] = st.SaveArticle(ctx, a, false) })
		}
		wg.Wait()
		inserted := 0
		for i := range stores {
			if errs[i] != nil {
				t.Errorf("save %d: %v", i, errs[i])
			}
			if outs[i] == Inserted {
				inserted++
			} else if outs[i] != Unchanged {
				t.Errorf("save %d: %v", i, outs[i])
			}
		}
		if tot, _ := stores[0].Totals(ctx); inserted != 1 || tot.Articles != 1 {
			t.Errorf("%d inserted, %d stored; want 1 and 1", inserted, tot.Articles)
		}
	})
}

func TestConcurrentIssuesGetTheirOwnNumbers(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		stores := openShared(t, db, 5)
		var wg sync.WaitGroup
		numbers := make([]int, len(stores))
		for i, st := range stores {
			wg.Go(func() {
				is, err := st.CreateIssue(ctx, func(n int) string { return fmt.Sprint("No. ", n) }, nil)
				if err != nil {
					t.Errorf("issue %d: %v", i, err)
				}
				numbers[i] = is.Number
			})
		}
		wg.Wait()
		slices.Sort(numbers)
		if !slices.Equal(numbers, []int{1, 2, 3, 4, 5}) {
			t.Errorf("numbers %v, want 1 to 5", numbers)
		}
	})
}

func TestEmailsCompareIgnoringASCIICaseOnly(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		ada, created, err := st.AddSubscriber(ctx, "Ada@Example.COM", "Ada", StatusConfirmed)
		if err != nil || !created {
			t.Fatal(created, err)
		}
		again, created, err := st.AddSubscriber(ctx, "ada@example.com", "", StatusPending)
		if err != nil || created || again.ID != ada.ID || again.Email != "Ada@Example.COM" {
			t.Errorf("same address in other case: %+v created %v, %v", again, created, err)
		}
		if got, err := st.SubscriberByEmail(ctx, "ADA@EXAMPLE.com"); err != nil || got.ID != ada.ID {
			t.Errorf("lookup in other case: %+v, %v", got, err)
		}
		// As SQLite's NOCASE: only A-Z fold. É and é are other addresses.
		e1, created1, err1 := st.AddSubscriber(ctx, "Élodie@example.com", "", StatusConfirmed)
		e2, created2, err2 := st.AddSubscriber(ctx, "élodie@example.com", "", StatusConfirmed)
		if err1 != nil || err2 != nil || !created1 || !created2 || e1.ID == e2.ID {
			t.Errorf("non-ASCII case: %+v %v %v / %+v %v %v", e1, created1, err1, e2, created2, err2)
		}
		if err := st.ForgetSubscriber(ctx, "ADA@example.com"); err != nil {
			t.Errorf("forget in other case: %v", err)
		}
		if _, err := st.SubscriberByEmail(ctx, "ada@example.com"); !errors.Is(err, ErrNotFound) {
			t.Errorf("after forgetting: %v", err)
		}
		if ok, err := st.Suppressed(ctx, "Ada@Example.COM"); err != nil || !ok {
			t.Errorf("suppressed in other case: %v %v", ok, err)
		}
	})
}

func TestPlanDeliveriesGivesEachRowItsOwnMessageID(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st, ids, _ := planned(t, db, 20)
		again, err := st.PlanDeliveries(ctx, 1, "example.com")
		if err != nil || again != 0 {
			t.Errorf("planning again added %d, %v; want 0", again, err)
		}
		rows, err := st.Deliveries(ctx, 1, DeliveryPending, true, 0, 0)
		if err != nil || len(rows) != len(ids) {
			t.Fatalf("%d rows, %v", len(rows), err)
		}
		re := regexp.MustCompile(`^bulletin\.1\.(\d+)\.[0-9a-f]{12}@example\.com$`)
		seen := map[string]bool{}
		for _, d := range rows {
			m := re.FindStringSubmatch(d.MessageID)
			if m == nil || m[1] != fmt.Sprint(d.SubscriberID) || seen[d.MessageID] {
				t.Errorf("row %d: Message-ID %q", d.SubscriberID, d.MessageID)
			}
			seen[d.MessageID] = true
		}
		// Paging: a limit, and ids after a given one.
		page, err := st.Deliveries(ctx, 1, DeliveryPending, true, ids[4], 3)
		if err != nil || len(page) != 3 || page[0].SubscriberID != ids[5] {
			t.Errorf("page after %d: %+v, %v", ids[4], page, err)
		}
	})
}

func TestSubscriberListsAndStatusMoves(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		var ids []int64
		for i, status := range []SubscriberStatus{StatusPending, StatusConfirmed, StatusConfirmed, StatusBounced} {
			sub, _, err := st.AddSubscriber(ctx, fmt.Sprintf("s%d@example.com", i), "", status)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, sub.ID)
		}
		all, err := st.Subscribers(ctx, "", 0, 0)
		if err != nil || len(all) != 4 {
			t.Errorf("all: %d, %v", len(all), err)
		}
		confirmed, err := st.Subscribers(ctx, StatusConfirmed, ids[1], 0)
		if err != nil || len(confirmed) != 1 || confirmed[0].ID != ids[2] {
			t.Errorf("confirmed after %d: %+v, %v", ids[1], confirmed, err)
		}
		if !confirmed[0].ConfirmedAt.After(time.Time{}) {
			t.Errorf("a confirmed subscriber without confirmed_at: %+v", confirmed[0])
		}
		// Moves only from the statuses given; the confirmation time is set.
		if changed, err := st.SetSubscriberStatus(ctx, ids[3], StatusConfirmed, StatusPending); err != nil || changed {
			t.Errorf("bounced → confirmed from pending only: changed %v, %v", changed, err)
		}
		if changed, err := st.SetSubscriberStatus(ctx, ids[0], StatusConfirmed, StatusPending, StatusPending); err != nil || !changed {
			t.Errorf("pending → confirmed: changed %v, %v", changed, err)
		}
		if changed, err := st.SetSubscriberStatus(ctx, ids[0], StatusConfirmed); err != nil || changed {
			t.Errorf("confirmed again: changed %v, %v", changed, err)
		}
		if changed, err := st.SetSubscriberStatus(ctx, ids[1], StatusUnsubscribed); err != nil || !changed {
			t.Errorf("confirmed → unsubscribed, from any: changed %v, %v", changed, err)
		}
		counts, err := st.CountSubscribers(ctx)
		if err != nil || counts[StatusConfirmed] != 2 || counts[StatusUnsubscribed] != 1 || counts[StatusBounced] != 1 {
			t.Errorf("counts %v, %v", counts, err)
		}
		if sub, _ := st.Subscriber(ctx, ids[0]); sub.ConfirmedAt.IsZero() {
			t.Errorf("confirmed without confirmed_at: %+v", sub)
		}
	})
}
