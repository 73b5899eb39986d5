package store

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/source"
)

func emails(subs []Subscriber) []string {
	var out []string
	for _, s := range subs {
		out = append(out, s.Email)
	}
	return out
}

func TestSubscriberPageSearchesAndPages(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		for _, s := range []struct {
			email, name string
			status      SubscriberStatus
		}{
			{"ann@example.org", "Ann Smith", StatusConfirmed},
			{"Bob@Example.ORG", "Bob", StatusConfirmed},
			{"carla@mail.test", "Ann-Marie Carla", StatusUnsubscribed},
			{"dan@mail.test", "", StatusConfirmed},
			{"annika@other.test", "Zoë", StatusPending},
			{"erin%@example.org", "Erin", StatusBounced},
			{"gone@example.org", "Gone", StatusConfirmed},
		} {
			if _, _, err := st.AddSubscriber(ctx, s.email, s.name, s.status); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.ForgetSubscriber(ctx, "gone@example.org"); err != nil {
			t.Fatal(err)
		}
		page := func(q SubscriberQuery) ([]string, bool) {
			t.Helper()
			subs, more, err := st.SubscriberPage(ctx, q)
			if err != nil {
				t.Fatalf("%+v: %v", q, err)
			}
			return emails(subs), more
		}
		for _, c := range []struct {
			q    SubscriberQuery
			want []string
		}{
			{SubscriberQuery{}, []string{"erin%@example.org", "annika@other.test", "dan@mail.test", "carla@mail.test", "Bob@Example.ORG", "ann@example.org"}},
			{SubscriberQuery{Status: StatusConfirmed}, []string{"dan@mail.test", "Bob@Example.ORG", "ann@example.org"}},
			// Addresses and names by how they start, in any case.
			{SubscriberQuery{Search: "ANN"}, []string{"annika@other.test", "carla@mail.test", "ann@example.org"}},
			{SubscriberQuery{Search: "ann", Status: StatusConfirmed}, []string{"ann@example.org"}},
			{SubscriberQuery{Search: "bob@example.org"}, []string{"Bob@Example.ORG"}},
			{SubscriberQuery{Search: "zoë"}, []string{"annika@other.test"}},
			{SubscriberQuery{Search: "smith"}, nil},
			// LIKE's wildcards are plain characters here.
			{SubscriberQuery{Search: "erin%"}, []string{"erin%@example.org"}},
			{SubscriberQuery{Search: "e%"}, nil},
			// Domains, after an @.
			{SubscriberQuery{Search: "@example.org"}, []string{"erin%@example.org", "Bob@Example.ORG", "ann@example.org"}},
			{SubscriberQuery{Search: "@MAIL"}, []string{"dan@mail.test", "carla@mail.test"}},
			{SubscriberQuery{Search: "@invalid"}, nil}, // the forgotten are no one's
			{SubscriberQuery{Search: "forgotten"}, nil},
		} {
			if got, more := page(c.q); !reflect.DeepEqual(got, c.want) || more {
				t.Errorf("%+v: %q (more %v), want %q", c.q, got, more, c.want)
			}
		}

		// Pages of two, each from where the last ended.
		var all []string
		q := SubscriberQuery{Limit: 2}
		for range 10 {
			subs, more, err := st.SubscriberPage(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, emails(subs)...)
			if !more {
				break
			}
			q.Before = subs[len(subs)-1].ID
		}
		if want, _ := page(SubscriberQuery{}); !reflect.DeepEqual(all, want) {
			t.Errorf("page by page %q, want %q", all, want)
		}
	})
}

// The page queries are ranges of an index, not scans of the table.
func TestSubscriberPageUsesIndexes(t *testing.T) {
	st := testDB{"sqlite"}.open(t)
	for _, q := range []queryID{qSubscribersPageStatus, qSubscribersSearch, qSubscribersSearchDomain} {
		args := []any{"a", "b", "", 100, 10}
		switch q {
		case qSubscribersPageStatus:
			args = []any{"confirmed", 100, 10}
		}
		rows, err := st.db.Query("EXPLAIN QUERY PLAN "+st.texts[q], args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		for _, p := range plan {
			if p == "SCAN subscribers" {
				t.Errorf("%s scans the table: %q", q, plan)
			}
		}
		// A search by a domain reads the domain's entries in the page's
		// order: no sort of its addresses before the LIMIT.
		if q == qSubscribersSearchDomain {
			i := slices.Index(plan, "SEARCH subscribers USING INDEX subscribers_domain (<expr>=? AND rowid<?)")
			if i < 0 || i+1 < len(plan) && plan[i+1] == "USE TEMP B-TREE FOR ORDER BY" {
				t.Errorf("%s does not read the domain in id order: %q", q, plan)
			}
		}
		t.Logf("%s: %q", q, plan)
	}
}

func TestConfirmedByDay(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		day := func(d int) time.Time { return time.Date(2026, 11, d, 10, 0, 0, 0, time.UTC) }
		now := day(1)
		st.SetClock(func() time.Time { return now })
		add := func(email string) int64 {
			t.Helper()
			sub, _, err := st.AddSubscriber(ctx, email, "", StatusConfirmed)
			if err != nil {
				t.Fatal(err)
			}
			return sub.ID
		}
		add("old@example.org") // before the chart
		now = day(28)
		add("a@example.org")
		add("b@example.org")
		now = day(29)
		c := add("c@example.org")
		now = day(30)
		if _, err := st.SetSubscriberStatus(ctx, c, StatusUnsubscribed); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.AddSubscriber(ctx, "p@example.org", "", StatusPending); err != nil {
			t.Fatal(err)
		}
		got, err := st.ConfirmedByDay(ctx, 4)
		if err != nil {
			t.Fatal(err)
		}
		var counts []string
		for _, d := range got {
			counts = append(counts, fmt.Sprintf("%s:%d", d.Day.Format("01-02"), d.Count))
		}
		want := []string{"11-27:1", "11-28:3", "11-29:4", "11-30:3"}
		if !reflect.DeepEqual(counts, want) {
			t.Errorf("by day %q, want %q", counts, want)
		}
	})
}

func TestSourcesPausedAndCounted(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		for i, src := range []string{"Wire", "Wire", "Local"} {
			if _, err := st.SaveArticle(ctx, source.Article{Key: fmt.Sprint("k", i), Title: "T", Text: fmt.Sprint("x", i), Source: src}, false); err != nil {
				t.Fatal(err)
			}
		}
		counts, err := st.ArticlesBySource(ctx)
		if err != nil || counts["Wire"].Count != 2 || counts["Local"].Count != 1 || counts["Wire"].LastCollected.IsZero() {
			t.Errorf("articles by source %+v, %v", counts, err)
		}
		if changed, err := st.PauseSource(ctx, "Wire", "admin:ed"); err != nil || !changed {
			t.Fatalf("pause: %v, %v", changed, err)
		}
		if changed, err := st.PauseSource(ctx, "Wire", "admin:ann"); err != nil || changed {
			t.Errorf("pausing again: %v, %v; want no change", changed, err)
		}
		paused, err := st.PausedSources(ctx)
		if err != nil || len(paused) != 1 || paused["Wire"].PausedBy != "admin:ed" || paused["Wire"].PausedAt.IsZero() {
			t.Errorf("paused %+v, %v", paused, err)
		}
		if changed, err := st.ResumeSource(ctx, "Wire", "admin:ed"); err != nil || !changed {
			t.Errorf("resume: %v, %v", changed, err)
		}
		if changed, _ := st.ResumeSource(ctx, "Wire", "admin:ed"); changed {
			t.Error("resuming a running source changed something")
		}
		log, _ := st.AuditLog(ctx, AuditQuery{Source: "Wire"})
		if len(log) != 2 || log[0].Action != AuditSourceResume || log[1].Action != AuditSourcePause {
			t.Errorf("audit log %+v", log)
		}
	})
}

func TestSubscriberHistory(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		sub, _, err := st.AddSubscriber(ctx, "reader@example.org", "Reader", StatusConfirmed)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			is, err := st.CreateIssue(ctx, func(n int) string { return fmt.Sprint("Issue ", n) }, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.PlanDeliveries(ctx, is.Number, "example.org"); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.MarkDeliverySent(ctx, 1, sub.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.RecordBounce(ctx, BounceEvent{IssueNumber: 1, SubscriberID: sub.ID, Kind: BounceSoft, Source: "mail",
			ReportID: "r1", Status: "4.2.2", Detail: "mailbox full"}, 3); err != nil {
			t.Fatal(err)
		}
		ds, err := st.SubscriberDeliveries(ctx, sub.ID, 10)
		if err != nil || len(ds) != 2 || ds[0].IssueNumber != 2 || ds[0].Status != DeliveryPending || ds[1].Status != DeliverySent {
			t.Errorf("deliveries %+v, %v", ds, err)
		}
		bs, err := st.SubscriberBounces(ctx, sub.ID, 10)
		if err != nil || len(bs) != 1 || bs[0].Kind != BounceSoft || bs[0].Email != "reader@example.org" || bs[0].Detail != "mailbox full" {
			t.Errorf("bounces %+v, %v", bs, err)
		}
	})
}
