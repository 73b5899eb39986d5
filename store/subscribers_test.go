package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"
)

// An import of more rows than one statement takes: the known addresses
// (in any case) are left as they were, the new ones are stored in the
// order given with their names and statuses, and confirmed ones are
// confirmed from the import on.
func TestImportSubscribersInBatches(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		if _, _, err := st.AddSubscriber(ctx, "known@example.org", "Known", StatusUnsubscribed); err != nil {
			t.Fatal(err)
		}
		n := 2*importBatch + 17
		var subs []NewSubscriber
		for i := range n {
			ns := NewSubscriber{Email: fmt.Sprintf("reader%05d@example.org", i), Name: fmt.Sprintf("Rëader \"%d\" <x>", i), Status: StatusConfirmed}
			if i%3 == 0 {
				ns.Status, ns.Name = StatusBounced, ""
			}
			subs = append(subs, ns)
		}
		subs[importBatch+5] = NewSubscriber{Email: "KNOWN@example.org", Name: "Other", Status: StatusConfirmed}
		added, existing, err := st.ImportSubscribers(ctx, subs)
		if err != nil {
			t.Fatal(err)
		}
		if added != n-1 || existing != 1 {
			t.Errorf("added %d, existing %d; want %d, 1", added, existing, n-1)
		}
		known, err := st.SubscriberByEmail(ctx, "known@example.org")
		if err != nil || known.Name != "Known" || known.Status != StatusUnsubscribed {
			t.Errorf("the known address changed: %+v, %v", known, err)
		}
		all, err := st.Subscribers(ctx, "", known.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != n-1 {
			t.Fatalf("%d stored, want %d", len(all), n-1)
		}
		j := 0
		for i, ns := range subs {
			if i == importBatch+5 {
				continue
			}
			got := all[j]
			j++
			if got.Email != ns.Email || got.Name != ns.Name || got.Status != ns.Status {
				t.Fatalf("row %d stored as %+v, want %+v", i, got, ns)
			}
			if confirmed := !got.ConfirmedAt.IsZero(); confirmed != (ns.Status == StatusConfirmed) {
				t.Errorf("row %d (%s): confirmed_at %v", i, ns.Status, got.ConfirmedAt)
			}
		}
		// A second import of the same rows adds nothing.
		if added, existing, err := st.ImportSubscribers(ctx, subs); err != nil || added != 0 || existing != n {
			t.Errorf("again: added %d, existing %d, %v", added, existing, err)
		}
	})
}

func TestSuppressedAmongAndWidths(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		var emails []string
		for i := range importBatch + 10 {
			emails = append(emails, fmt.Sprintf("r%d@example.org", i))
		}
		for _, e := range []string{"r3@example.org", emails[importBatch+4]} {
			if _, _, err := st.AddSubscriber(ctx, e, "", StatusConfirmed); err != nil {
				t.Fatal(err)
			}
			if err := st.ForgetSubscriber(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		emails[3] = "R3@Example.org"
		got, err := st.SuppressedAmong(ctx, emails)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || !got["R3@Example.org"] || !got[emails[importBatch+4]] {
			t.Errorf("suppressed %v", got)
		}

		if _, _, err := st.AddSubscriber(ctx, "a@example.org", "Ünïcode Náme", StatusPending); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.AddSubscriber(ctx, "longer.address@example.org", "B", StatusConfirmed); err != nil {
			t.Fatal(err)
		}
		e, n, s, err := st.SubscriberWidths(ctx, StatusPending)
		if err != nil || e != len("a@example.org") || n != len("Ünïcode Náme")-3 || s != len("pending") {
			t.Errorf("pending widths %d %d %d, %v", e, n, s, err)
		}
	})
}

// schema returns the SQLite schema's objects and their definitions, or
// nil on another backend.
func schema(t *testing.T, st *Store) map[string]string {
	t.Helper()
	if st.dialect.name != "sqlite" {
		return nil
	}
	rows, err := st.db.Query("SELECT type || ' ' || name, coalesce(sql, '') FROM sqlite_master")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// A large import sets the search indexes and the tallies' insert trigger
// aside and puts them back (setAsideForImport): after it, the schema is
// what it was, the indexes hold every row, the tallies are the counts, and
// the desk's searches find the rows. An import that fails half-way leaves
// the schema and the rows as they were; smaller imports, and one too
// small beside the table, take the row-by-row path, and agree.
func TestLargeImportPutsBackWhatItSetAside(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		before := schema(t, st)
		if db.backend == "sqlite" && (before["index subscribers_name"] == "" || before["trigger subscribers_tally_insert"] == "") {
			t.Fatalf("the schema lacks what an import sets aside: %v", before)
		}
		rows := func(from, n int, statuses ...SubscriberStatus) []NewSubscriber {
			out := make([]NewSubscriber, n)
			for i := range out {
				out[i] = NewSubscriber{Email: fmt.Sprintf("reader%06d@mail%d.example.net", from+i, (from+i)%7),
					Name: fmt.Sprintf("Reader %d", from+i), Status: statuses[(from+i)%len(statuses)]}
			}
			return out
		}
		check := func(when string, want int64) {
			t.Helper()
			if got := schema(t, st); !reflect.DeepEqual(got, before) {
				t.Fatalf("%s: the schema changed:\n%v\nwas\n%v", when, got, before)
			}
			if db.backend == "sqlite" {
				var ok string
				if err := st.db.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
					t.Fatalf("%s: integrity check: %q, %v", when, ok, err)
				}
			}
			checkTallies(t, st, when)
			var n int64
			if err := st.db.QueryRow("SELECT count(*) FROM subscribers").Scan(&n); err != nil || n != want {
				t.Fatalf("%s: %d subscribers, %v; want %d", when, n, err, want)
			}
		}
		added, existing, err := st.ImportSubscribers(ctx, rows(0, bulkImportRows, StatusConfirmed, StatusUnsubscribed))
		if err != nil || added != bulkImportRows || existing != 0 {
			t.Fatalf("first import: %d added, %d existing, %v", added, existing, err)
		}
		check("after a first import", int64(bulkImportRows))
		// Half of these are known: at least half the table's size, so a
		// large import again.
		added, existing, err = st.ImportSubscribers(ctx, rows(bulkImportRows/2, bulkImportRows, StatusBounced, StatusConfirmed))
		if err != nil || added != bulkImportRows/2 || existing != bulkImportRows/2 {
			t.Fatalf("second import: %d added, %d existing, %v", added, existing, err)
		}
		total := int64(bulkImportRows * 3 / 2)
		check("after an import of known and new rows", total)
		// One that fails on its last batch's rows stores nothing and
		// changes nothing.
		bad := rows(2*bulkImportRows, bulkImportRows, StatusConfirmed)
		bad[len(bad)-1].Status = "nonsense"
		if _, _, err := st.ImportSubscribers(ctx, bad); err == nil {
			t.Fatal("an import with an invalid status succeeded")
		}
		check("after a failed import", total)
		// Too small for the path, and large but small beside the table.
		if _, _, err := st.ImportSubscribers(ctx, rows(3*bulkImportRows, 10, StatusConfirmed)); err != nil {
			t.Fatal(err)
		}
		total += 10
		check("after a small import", total)
		defer func(n int) { bulkImportRows = n }(bulkImportRows)
		bulkImportRows = 100
		if _, _, err := st.ImportSubscribers(ctx, rows(4*bulkImportRows*100, 200, StatusConfirmed)); err != nil {
			t.Fatal(err)
		}
		total += 200
		check("after an import small beside the table", total)
		// The desk's searches, by name and by domain, read the rebuilt
		// indexes.
		for search, where := range map[string]string{
			"Reader 424":         "lower(name) LIKE 'reader 424%'",
			"@MAIL3.example.net": "email LIKE '%@mail3.example.net'",
		} {
			var want int
			if err := st.db.QueryRow("SELECT count(*) FROM subscribers WHERE " + where).Scan(&want); err != nil {
				t.Fatal(err)
			}
			page, _, err := st.SubscriberPage(ctx, SubscriberQuery{Search: search, Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			if want == 0 || len(page) != min(want, 500) {
				t.Errorf("a search for %q found %d; %d match", search, len(page), want)
			}
		}
	})
}
