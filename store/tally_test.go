package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// tallyCounts reads the running tallies (0030_tallies.sql) and, beside
// them, the same counts made afresh from the tables, as the queries the
// tallies replaced made them.
func tallyCounts(t *testing.T, st *Store) (tallies, fresh map[string]int64) {
	t.Helper()
	day := func(col string) string { return "substr(" + col + ", 1, 10)" }
	if st.dialect.name == "postgres" {
		day = func(col string) string { return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD')" }
	}
	read := func(out map[string]int64, q string) {
		t.Helper()
		rows, err := st.db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			var n int64
			if err := rows.Scan(&k, &n); err != nil {
				t.Fatal(err)
			}
			if n < 0 {
				t.Errorf("tally %s is %d", k, n)
			}
			if n != 0 {
				out[k] = n
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	tallies, fresh = map[string]int64{}, map[string]int64{}
	// A tally is the sum of its rows (one row per key in SQLite, a few in
	// PostgreSQL: 0030_tallies.sql).
	read(tallies, "SELECT 'status ' || status, CAST(sum(n) AS BIGINT) FROM subscriber_tally GROUP BY status")
	read(tallies, "SELECT kind || ' ' || day, CAST(sum(n) AS BIGINT) FROM subscriber_day_tally GROUP BY kind, day")
	read(tallies, "SELECT 'delivery ' || issue_number || ' ' || status, CAST(sum(n) AS BIGINT) FROM delivery_tally GROUP BY issue_number, status")
	read(fresh, "SELECT 'status ' || status, count(*) FROM subscribers GROUP BY status")
	read(fresh, "SELECT 'joined ' || "+day("confirmed_at")+", count(*) FROM subscribers WHERE confirmed_at IS NOT NULL GROUP BY 1")
	read(fresh, "SELECT 'left ' || "+day("updated_at")+", count(*) FROM subscribers "+
		"WHERE status IN ('unsubscribed', 'bounced', 'complained') AND confirmed_at IS NOT NULL GROUP BY 1")
	read(fresh, "SELECT 'delivery ' || issue_number || ' ' || status, count(*) FROM deliveries GROUP BY issue_number, status")
	return tallies, fresh
}

// checkTallies fails t unless every tally is the count it stands for.
func checkTallies(t *testing.T, st *Store, when string) {
	t.Helper()
	tallies, fresh := tallyCounts(t, st)
	if !reflect.DeepEqual(tallies, fresh) {
		for k := range fresh {
			if tallies[k] != fresh[k] {
				t.Errorf("%s: %s: tally %d, count %d", when, k, tallies[k], fresh[k])
			}
		}
		for k := range tallies {
			if _, ok := fresh[k]; !ok {
				t.Errorf("%s: %s: tally %d, count 0", when, k, tallies[k])
			}
		}
		t.FailNow()
	}
}

// TestTalliesMatchCounts runs a random mix of what changes subscribers and
// the ledger (adds, imports, confirmations, unsubscriptions, bounces,
// complaints, forgetting, plans, sends, failures, forgotten ledgers, and
// statements of many rows at once) on a clock that moves across days and
// back, and holds every tally to a fresh COUNT after each step.
func TestTalliesMatchCounts(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		seed := time.Now().UnixNano()
		t.Logf("seed %d", seed)
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		base := time.Date(2026, 10, 1, 23, 30, 0, 0, time.UTC)
		email := func() string { return fmt.Sprintf("r%02d@example%d.org", rng.IntN(40), rng.IntN(2)) }
		status := func() SubscriberStatus { return SubscriberStatuses[rng.IntN(len(SubscriberStatuses))] }
		var issues []int
		var ids []int64
		refresh := func() {
			rows, err := st.db.Query("SELECT id FROM subscribers")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			ids = ids[:0]
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
		}
		sub := func() int64 {
			if len(ids) == 0 {
				return 1
			}
			return ids[rng.IntN(len(ids))]
		}
		issue := func() int {
			if len(issues) == 0 {
				return 1
			}
			return issues[rng.IntN(len(issues))]
		}
		// A row of the ledger, when there is one: the ops on one delivery
		// mostly find theirs.
		delivery := func() (int, int64) {
			var n int
			var id int64
			err := st.db.QueryRow(fmt.Sprintf("SELECT issue_number, subscriber_id FROM deliveries ORDER BY issue_number, subscriber_id LIMIT 1 OFFSET %d",
				rng.IntN(8))).Scan(&n, &id)
			if err != nil {
				return issue(), sub()
			}
			return n, id
		}
		ops := []struct {
			name string
			f    func() error
		}{
			{"add", func() error { _, _, err := st.AddSubscriber(ctx, email(), "", status()); return err }},
			{"import", func() error {
				batch := make([]NewSubscriber, 1+rng.IntN(5))
				for i := range batch {
					batch[i] = NewSubscriber{Email: email(), Status: status()}
				}
				_, _, err := st.ImportSubscribers(ctx, batch)
				return err
			}},
			{"import-bulk", func() error {
				// An import that sets the indexes and the insert trigger
				// aside (setAsideForImport), however small.
				defer func(n int) { bulkImportRows = n }(bulkImportRows)
				bulkImportRows = 1
				batch := make([]NewSubscriber, 1+rng.IntN(60))
				for i := range batch {
					batch[i] = NewSubscriber{Email: email(), Status: status()}
				}
				_, _, err := st.ImportSubscribers(ctx, batch)
				return err
			}},
			{"status", func() error { _, err := st.SetSubscriberStatus(ctx, sub(), status()); return err }},
			{"confirm", func() error { _, err := st.SetSubscriberStatus(ctx, sub(), StatusConfirmed, StatusPending); return err }},
			{"unsubscribe", func() error {
				_, err := st.SetSubscriberStatus(ctx, sub(), StatusUnsubscribed, StatusConfirmed, StatusPending)
				return err
			}},
			{"forget", func() error { return st.ForgetSubscriber(ctx, email()) }},
			{"preferences", func() error { return st.SetPreferences(ctx, sub(), CadenceWeekly, time.Time{}) }},
			{"plan", func() error {
				is, err := st.CreateIssue(ctx, func(n int) string { return fmt.Sprint("Issue ", n) }, nil)
				if err != nil {
					return err
				}
				issues = append(issues, is.Number)
				_, err = st.PlanDeliveries(ctx, is.Number, "example.org")
				return err
			}},
			{"claim", func() error {
				n, id := delivery()
				_, err := st.ClaimDelivery(ctx, n, id, DeliveryPending)
				return err
			}},
			{"sent", func() error {
				n, id := delivery()
				return st.MarkDeliverySent(ctx, n, id)
			}},
			{"release", func() error {
				n, id := delivery()
				return st.ReleaseDelivery(ctx, n, id, "later")
			}},
			{"fail", func() error {
				n, id := delivery()
				return st.FailDelivery(ctx, n, id, "no", rng.IntN(2) == 0)
			}},
			{"bounce", func() error {
				n, id := delivery()
				kind := []BounceKind{BounceHard, BounceSoft, BounceComplaint}[rng.IntN(3)]
				_, err := st.RecordBounce(ctx, BounceEvent{IssueNumber: n, SubscriberID: id, Kind: kind,
					Source: "mail", ReportID: fmt.Sprint("mail:", rng.Int())}, 2)
				return err
			}},
			{"forget-ledger", func() error { return st.ForgetDeliveries(ctx, issue()) }},
			// Statements of many rows, as no caller makes them yet.
			{"sql-update-many", func() error {
				_, err := st.db.Exec("UPDATE deliveries SET status = 'sent' WHERE issue_number = " + fmt.Sprint(issue()))
				return err
			}},
			{"sql-delete-many", func() error {
				_, err := st.db.Exec("DELETE FROM deliveries WHERE issue_number = " + fmt.Sprint(issue()))
				return err
			}},
			{"sql-touch", func() error {
				_, err := st.db.Exec("UPDATE subscribers SET updated_at = confirmed_at WHERE confirmed_at IS NOT NULL AND id % 3 = 0")
				return err
			}},
			{"sql-move-issue", func() error {
				_, err := st.db.Exec(fmt.Sprintf("UPDATE deliveries SET status = 'failed' WHERE issue_number = %d AND subscriber_id %% 2 = 0", issue()))
				return err
			}},
		}
		seen := map[string]int{}
		for step := range 400 {
			// Half an hour to a few days on, or back: days begin and end
			// between steps.
			at := base.Add(time.Duration(rng.IntN(200)-50) * 30 * time.Minute)
			st.SetClock(func() time.Time { return at })
			op := ops[rng.IntN(len(ops))]
			if err := op.f(); err == nil {
				seen[op.name]++
			}
			refresh()
			checkTallies(t, st, fmt.Sprintf("step %d (%s)", step, op.name))
		}
		t.Logf("operations that succeeded: %v", seen)
		tallies, _ := tallyCounts(t, st)
		if len(tallies) < 5 {
			t.Errorf("the mix left too little to check: %v", tallies)
		}
		for _, op := range ops {
			if seen[op.name] == 0 && !strings.HasPrefix(op.name, "forget") {
				t.Errorf("%s never succeeded: the mix did not exercise it", op.name)
			}
		}
	})
}

// TestTalliesSeededByMigration: the migration's tallies of the rows there
// before it are their counts. The tallies are emptied and the migration's
// seeding statements run again on a database with rows of every kind.
func TestTalliesSeededByMigration(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st, ids := sentIssues(t, db, 2, "a@example.org", "b@example.org", "c@example.org")
		if _, err := st.SetSubscriberStatus(ctx, ids[1], StatusUnsubscribed); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.AddSubscriber(ctx, "d@example.org", "", StatusPending); err != nil {
			t.Fatal(err)
		}
		body, err := os.ReadFile("migrations/" + st.dialect.name + "/0030_tallies.sql")
		if err != nil {
			t.Fatal(err)
		}
		// The seeding statements are the INSERTs before the first trigger
		// or function.
		text := string(body)
		for _, end := range []string{"\nCREATE TRIGGER", "\nCREATE FUNCTION"} {
			if i := strings.Index(text, end); i >= 0 {
				text = text[:i]
			}
		}
		var seeds []string
		for _, stmt := range strings.Split(text, ";") {
			if i := strings.Index(stmt, "INSERT INTO"); i >= 0 {
				seeds = append(seeds, stmt[i:])
			}
		}
		if len(seeds) != 4 {
			t.Fatalf("%d seeding statements in the migration, want 4: %q", len(seeds), seeds)
		}
		if _, err := st.db.Exec("DELETE FROM subscriber_tally; DELETE FROM subscriber_day_tally; DELETE FROM delivery_tally"); err != nil {
			t.Fatal(err)
		}
		if tallies, _ := tallyCounts(t, st); len(tallies) != 0 {
			t.Fatalf("tallies left: %v", tallies)
		}
		for _, s := range seeds {
			if _, err := st.db.Exec(s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		checkTallies(t, st, "seeded")
		if tallies, _ := tallyCounts(t, st); len(tallies) < 5 {
			t.Errorf("seeded too little to check: %v", tallies)
		}
	})
}
