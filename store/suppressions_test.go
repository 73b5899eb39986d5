package store

import (
	"context"
	"errors"
	"testing"
)

// TestForgetSubscriber: forgetting erases the address and the name from
// the subscriber and the ledger, keeps the ledger's rows (history), and
// leaves a suppression entry that matches the address in any ASCII case.
func TestForgetSubscriber(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) { testForgetSubscriber(t, db) })
}

func testForgetSubscriber(t *testing.T, db testDB) {
	ctx := context.Background()
	st, ids, _ := planned(t, db, 2)
	if err := st.FailDelivery(ctx, 1, ids[0], "550 5.1.1 <r0@example.com>: no such user", false); err != nil {
		t.Fatal(err)
	}
	if err := st.ForgetSubscriber(ctx, "R0@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SubscriberByEmail(ctx, "r0@example.com"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the address is still stored: %v", err)
	}
	sub, err := st.Subscriber(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if sub.Email != ForgottenEmail(ids[0]) || !IsForgotten(sub.Email) || sub.Name != "" || sub.Status != StatusUnsubscribed {
		t.Errorf("forgotten subscriber: %+v", sub)
	}
	rows, err := st.Deliveries(ctx, 1, DeliveryFailed, false, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].SubscriberID != ids[0] || rows[0].Email != sub.Email || rows[0].LastError != "" {
		t.Errorf("ledger after forgetting: %+v", rows)
	}
	counts, _ := st.DeliveryCounts(ctx, 1)
	if counts[DeliveryFailed]+counts[DeliveryPending] != 2 {
		t.Errorf("the ledger lost rows: %v", counts)
	}
	for _, addr := range []string{"r0@example.com", "R0@EXAMPLE.COM"} {
		if ok, err := st.Suppressed(ctx, addr); err != nil || !ok {
			t.Errorf("Suppressed(%s) = %v, %v", addr, ok, err)
		}
	}
	if ok, _ := st.Suppressed(ctx, "r1@example.com"); ok {
		t.Error("another address is suppressed")
	}
	if err := st.ForgetSubscriber(ctx, "r0@example.com"); !errors.Is(err, ErrNotFound) {
		t.Errorf("forgetting twice: %v", err)
	}
	// The store itself does not refuse the address (a new sign-up is a
	// new opt-in); the newsletter checks Suppressed where it must.
	if _, created, err := st.AddSubscriber(ctx, "r0@example.com", "", StatusPending); err != nil || !created {
		t.Errorf("a new sign-up after forgetting: %v %v", created, err)
	}
}
