package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// planned returns a store with issue 1 planned for n confirmed subscribers,
// their ids, and the issue's Ledger.
func planned(t *testing.T, db testDB, n int) (*Store, []int64, *Ledger) {
	t.Helper()
	ctx := context.Background()
	st := db.open(t)
	if _, err := st.CreateIssue(ctx, func(n int) string { return fmt.Sprint("Issue ", n) }, nil); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range n {
		sub, _, err := st.AddSubscriber(ctx, fmt.Sprintf("r%d@example.com", i), "", StatusConfirmed)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sub.ID)
	}
	if _, err := st.PlanDeliveries(ctx, 1, "example.com"); err != nil {
		t.Fatal(err)
	}
	l, err := st.Ledger(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return st, ids, l
}

// checkStatuses compares each subscriber's ledger row, as
// "status/attempts", with want.
func checkStatuses(t *testing.T, st *Store, want map[int64]string) {
	t.Helper()
	got := map[int64]string{}
	for _, status := range []DeliveryStatus{DeliveryPending, DeliverySending, DeliverySent, DeliveryFailed} {
		rows, err := st.Deliveries(context.Background(), 1, status, false, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range rows {
			got[d.SubscriberID] = fmt.Sprintf("%s/%d", d.Status, d.Attempts)
			if d.Status == DeliverySent && d.SentAt.IsZero() {
				t.Errorf("row %d sent without sent_at", d.SubscriberID)
			}
		}
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("row %d: %s, want %s", id, got[id], w)
		}
	}
}

func TestLedgerCommitsClaimsAndSentMarksTogether(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st, ids, l := planned(t, db, 3)

		claims := []Claim{{SubscriberID: ids[0], From: DeliveryPending}, {SubscriberID: ids[1], From: DeliveryPending}}
		if err := l.Commit(ctx, claims, nil); err != nil {
			t.Fatal(err)
		}
		if !claims[0].Claimed || !claims[1].Claimed {
			t.Fatalf("claims %+v, want both claimed", claims)
		}
		// A row claimed already cannot be claimed again: that is what keeps
		// two senders from sending one message twice.
		claims = []Claim{{SubscriberID: ids[0], From: DeliveryPending}, {SubscriberID: ids[2], From: DeliveryPending}}
		if err := l.Commit(ctx, claims, []int64{ids[0], ids[1]}); err != nil {
			t.Fatal(err)
		}
		if claims[0].Claimed || !claims[1].Claimed {
			t.Fatalf("claims %+v, want only the second claimed", claims)
		}
		checkStatuses(t, st, map[int64]string{ids[0]: "sent/1", ids[1]: "sent/1", ids[2]: "sending/1"})
	})
}

func TestLedgerFailedGroupRecordsNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st, ids, l := planned(t, db, 3)
		first := []Claim{{SubscriberID: ids[0], From: DeliveryPending}}
		if err := l.Commit(ctx, first, nil); err != nil || !first[0].Claimed {
			t.Fatalf("claim: %+v %v", first, err)
		}
		// Make the claim of the last row fail after the group's sent mark has
		// been written: the whole group must be undone.
		boom := fmt.Sprintf(`CREATE TEMP TRIGGER boom BEFORE UPDATE OF status ON deliveries
			WHEN NEW.subscriber_id = %d BEGIN SELECT RAISE(ABORT, 'boom'); END`, ids[2])
		unboom := `DROP TRIGGER boom`
		if db.postgres() {
			boom = fmt.Sprintf(`CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$;
				CREATE TRIGGER boom BEFORE UPDATE OF status ON deliveries
				FOR EACH ROW WHEN (NEW.subscriber_id = %d) EXECUTE FUNCTION boom()`, ids[2])
			unboom = `DROP TRIGGER boom ON deliveries`
		}
		if _, err := l.conn.ExecContext(ctx, boom); err != nil {
			t.Fatal(err)
		}
		claims := []Claim{{SubscriberID: ids[1], From: DeliveryPending}, {SubscriberID: ids[2], From: DeliveryPending}}
		err := l.Commit(ctx, claims, []int64{ids[0]})
		if err == nil || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("commit: %v, want the trigger's error", err)
		}
		if claims[0].Claimed || claims[1].Claimed {
			t.Errorf("claims %+v reported claimed after a failed commit", claims)
		}
		checkStatuses(t, st, map[int64]string{ids[0]: "sending/1", ids[1]: "pending/0", ids[2]: "pending/0"})
		// No transaction is left open: the next group commits.
		if _, err := l.conn.ExecContext(ctx, unboom); err != nil {
			t.Fatal(err)
		}
		if err := l.Commit(ctx, claims[:1], []int64{ids[0]}); err != nil || !claims[0].Claimed {
			t.Fatalf("commit after a failed one: %+v %v", claims, err)
		}
		checkStatuses(t, st, map[int64]string{ids[0]: "sent/1", ids[1]: "sending/1", ids[2]: "pending/0"})
	})
}

// TestLedgerClaimsFromEachStatus commits one group whose claims are made
// from different statuses, beside marks: each row is claimed only from the
// status its claim names, and the tally follows the rows.
func TestLedgerClaimsFromEachStatus(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st, ids, l := planned(t, db, 5)
		first := []Claim{{SubscriberID: ids[0], From: DeliveryPending}, {SubscriberID: ids[1], From: DeliveryPending}}
		if err := l.Commit(ctx, first, nil); err != nil {
			t.Fatal(err)
		}
		if err := st.FailDelivery(ctx, 1, ids[2], "refused", false); err != nil {
			t.Fatal(err)
		}
		claims := []Claim{
			{SubscriberID: ids[2], From: DeliveryFailed},  // failed: claimed
			{SubscriberID: ids[3], From: DeliveryFailed},  // pending, not failed: left
			{SubscriberID: ids[4], From: DeliveryPending}, // pending: claimed
			{SubscriberID: ids[1], From: DeliverySending}, // sending: claimed again
		}
		if err := l.Commit(ctx, claims, []int64{ids[0]}); err != nil {
			t.Fatal(err)
		}
		var got []bool
		for _, c := range claims {
			got = append(got, c.Claimed)
		}
		if want := []bool{true, false, true, true}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("claimed %v, want %v", got, want)
		}
		checkStatuses(t, st, map[int64]string{ids[0]: "sent/1", ids[1]: "sending/2", ids[2]: "sending/2", ids[3]: "pending/0", ids[4]: "sending/1"})
		counts, err := st.DeliveryCounts(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if counts[DeliverySent] != 1 || counts[DeliverySending] != 3 || counts[DeliveryPending] != 1 || counts[DeliveryFailed] != 0 {
			t.Errorf("counts %v, want 1 sent, 3 sending, 1 pending", counts)
		}
	})
}
