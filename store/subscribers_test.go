package store

import (
	"context"
	"fmt"
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
