package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// sentIssues makes n issues, each planned and sent to the subscribers,
// and returns the store and the subscribers' ids.
func sentIssues(t *testing.T, db testDB, issues int, emails ...string) (*Store, []int64) {
	t.Helper()
	ctx := context.Background()
	st := db.open(t)
	var ids []int64
	for _, e := range emails {
		sub, _, err := st.AddSubscriber(ctx, e, "", StatusConfirmed)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sub.ID)
	}
	for range issues {
		is, err := st.CreateIssue(ctx, func(n int) string { return fmt.Sprint("Issue ", n) }, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.PlanDeliveries(ctx, is.Number, "example.org"); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if err := st.MarkDeliverySent(ctx, is.Number, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	return st, ids
}

// TestRecordBounce: a hard bounce marks the subscriber bounced, once
// however often its report is recorded; a complaint marks them complained
// and suppresses the address; every report shows where status and the
// subscriber list read it.
func TestRecordBounce(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) { testRecordBounce(t, db) })
}

func testRecordBounce(t *testing.T, db testDB) {
	ctx := context.Background()
	st, ids := sentIssues(t, db, 1, "Hard@example.net", "angry@example.net", "fine@example.net")
	at := time.Date(2026, 11, 2, 7, 2, 10, 0, time.UTC)
	hard := BounceEvent{IssueNumber: 1, SubscriberID: ids[0], Kind: BounceHard, Source: "mail", ReportID: "mail:a",
		Status: "5.1.1", Detail: "550 5.1.1 <hard@example.net>: user unknown", ReportedAt: at}
	out, err := st.RecordBounce(ctx, hard, 3)
	if err != nil {
		t.Fatal(err)
	}
	if out.Duplicate || out.Before != StatusConfirmed || out.After != StatusBounced || !out.Changed() {
		t.Errorf("hard bounce: %+v", out)
	}
	// The same report again (a message read twice): nothing.
	if out, err := st.RecordBounce(ctx, hard, 3); err != nil || !out.Duplicate || out.Changed() {
		t.Errorf("the same report again: %+v, %v", out, err)
	}
	sub, _ := st.Subscriber(ctx, ids[0])
	if sub.Status != StatusBounced {
		t.Errorf("status %s", sub.Status)
	}

	complaint := BounceEvent{IssueNumber: 1, SubscriberID: ids[1], Kind: BounceComplaint, Source: "ses", ReportID: "ses:b"}
	out, err = st.RecordBounce(ctx, complaint, 3)
	if err != nil {
		t.Fatal(err)
	}
	if out.After != StatusComplained || !out.Suppressed {
		t.Errorf("complaint: %+v", out)
	}
	if ok, _ := st.Suppressed(ctx, "ANGRY@example.net"); !ok {
		t.Error("a complained address is not suppressed")
	}
	if ok, _ := st.Suppressed(ctx, "fine@example.net"); ok {
		t.Error("an address nobody complained of is suppressed")
	}

	// No such delivery: nothing recorded.
	if _, err := st.RecordBounce(ctx, BounceEvent{IssueNumber: 2, SubscriberID: ids[2], Kind: BounceHard, Source: "mail", ReportID: "mail:c"}, 3); !errors.Is(err, ErrNotFound) {
		t.Errorf("a report on no delivery: %v", err)
	}
	if _, err := st.RecordBounce(ctx, BounceEvent{IssueNumber: 1, SubscriberID: ids[2], Kind: "bogus", ReportID: "x"}, 3); err == nil {
		t.Error("an unknown kind was recorded")
	}

	counts, err := st.BounceCounts(ctx, 1)
	if err != nil || counts[BounceHard] != 1 || counts[BounceComplaint] != 1 || counts[BounceSoft] != 0 {
		t.Errorf("counts %v, %v", counts, err)
	}
	recent, err := st.RecentBounces(ctx, 10)
	if err != nil || len(recent) != 2 {
		t.Fatalf("recent %+v, %v", recent, err)
	}
	if r := recent[1]; r.Email != "Hard@example.net" || r.Kind != BounceHard || r.Status != "5.1.1" || !r.ReportedAt.Equal(at) || r.CreatedAt.IsZero() {
		t.Errorf("recent[1] = %+v", r)
	}
	last, err := st.LastBounces(ctx, 0, ids[2])
	if err != nil || len(last) != 2 || last[ids[0]].Count != 1 || last[ids[1]].Last.Kind != BounceComplaint {
		t.Errorf("last %+v, %v", last, err)
	}

	// Forgetting the subscriber takes what the server said with the
	// address.
	if err := st.ForgetSubscriber(ctx, "hard@example.net"); err != nil {
		t.Fatal(err)
	}
	recent, _ = st.RecentBounces(ctx, 10)
	if r := recent[1]; r.Detail != "" || !IsForgotten(r.Email) {
		t.Errorf("after forgetting: %+v", r)
	}
}

// TestSoftBounces: soft bounces on limit deliveries in a row make a hard
// one; a delivery between them with none breaks the row, and a report
// that arrives late fills its gap.
func TestSoftBounces(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) { testSoftBounces(t, db) })
}

func testSoftBounces(t *testing.T, db testDB) {
	ctx := context.Background()
	st, ids := sentIssues(t, db, 4, "full@example.net")
	soft := func(issue int, id string) BounceOutcome {
		t.Helper()
		out, err := st.RecordBounce(ctx, BounceEvent{IssueNumber: issue, SubscriberID: ids[0], Kind: BounceSoft,
			Source: "mail", ReportID: id, Status: "4.2.2"}, 3)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if out := soft(1, "s1"); out.SoftInARow != 1 || out.After != StatusConfirmed {
		t.Errorf("first soft bounce: %+v", out)
	}
	if out := soft(2, "s2"); out.SoftInARow != 2 || out.After != StatusConfirmed {
		t.Errorf("second: %+v", out)
	}
	// Issue 3 went through (no report yet): issue 4's bounce starts anew.
	if out := soft(4, "s4"); out.SoftInARow != 1 || out.After != StatusConfirmed {
		t.Errorf("after a gap: %+v", out)
	}
	// Two reports of one delivery count once.
	if out := soft(4, "s4-again"); out.SoftInARow != 1 || out.After != StatusConfirmed {
		t.Errorf("a second report of one delivery: %+v", out)
	}
	// Issue 3's report arrives late: 4, 3 and 2 in a row.
	if out := soft(3, "s3"); out.SoftInARow != 3 || out.After != StatusBounced {
		t.Errorf("the row filled: %+v", out)
	}
}

// TestRecordBounceOnce: the same report recorded by several processes at
// once (a webhook retried while the first is in flight) is acted on once.
func TestRecordBounceOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) { testRecordBounceOnce(t, db) })
}

func testRecordBounceOnce(t *testing.T, db testDB) {
	ctx := context.Background()
	st, ids := sentIssues(t, db, 1, "twice@example.net")
	other := db.openURL(t, st.Path()) // another process's connection pool
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts := 0
	for i := range 8 {
		s := st
		if i%2 == 1 {
			s = other
		}
		wg.Go(func() {
			out, err := s.RecordBounce(ctx, BounceEvent{IssueNumber: 1, SubscriberID: ids[0], Kind: BounceSoft, Source: "sendgrid", ReportID: "sendgrid:evt"}, 1)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if !out.Duplicate {
				firsts++
			}
		})
	}
	wg.Wait()
	if firsts != 1 {
		t.Errorf("the report was acted on %d times", firsts)
	}
	if c, _ := st.BounceCounts(ctx, 1); c[BounceSoft] != 1 {
		t.Errorf("counts %v", c)
	}
}

func TestDeliveryLookups(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) { testDeliveryLookups(t, db) })
}

func testDeliveryLookups(t *testing.T, db testDB) {
	ctx := context.Background()
	st, ids := sentIssues(t, db, 2, "Someone@Example.net", "other@example.net")
	d, err := st.Delivery(ctx, 1, ids[0])
	if err != nil || d.Email != "Someone@Example.net" || d.MessageID == "" {
		t.Fatalf("Delivery: %+v, %v", d, err)
	}
	byID, err := st.DeliveryByMessageID(ctx, d.MessageID)
	if err != nil || byID.IssueNumber != 1 || byID.SubscriberID != ids[0] {
		t.Errorf("DeliveryByMessageID: %+v, %v", byID, err)
	}
	latest, err := st.LatestDeliveryTo(ctx, "someone@EXAMPLE.NET")
	if err != nil || latest.IssueNumber != 2 || latest.SubscriberID != ids[0] {
		t.Errorf("LatestDeliveryTo: %+v, %v", latest, err)
	}
	for _, err := range []error{
		func() error { _, err := st.Delivery(ctx, 3, ids[0]); return err }(),
		func() error { _, err := st.DeliveryByMessageID(ctx, "nobody@example.org"); return err }(),
		func() error { _, err := st.LatestDeliveryTo(ctx, "stranger@example.net"); return err }(),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("lookup of nothing: %v", err)
		}
	}
	// Forgetting the ledger of an issue takes its reports with it.
	if _, err := st.RecordBounce(ctx, BounceEvent{IssueNumber: 2, SubscriberID: ids[1], Kind: BounceHard, Source: "mail", ReportID: "r"}, 3); err != nil {
		t.Fatal(err)
	}
	if err := st.ForgetDeliveries(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if c, _ := st.BounceCounts(ctx, 2); len(c) != 0 {
		t.Errorf("reports of a forgotten ledger: %v", c)
	}
}
