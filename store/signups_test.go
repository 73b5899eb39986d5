package store

import (
	"context"
	"testing"
	"time"
)

// TestSignupQueue: the queue keeps one row per address, refuses past its
// bound, gives each sign-up to one worker at a time, frees the claims of a
// worker that stopped or died, and keeps a retried one until it is due.
func TestSignupQueue(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		url := db.url(t)
		st := db.openURL(t, url)
		ctx := context.Background()
		now := time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC)
		st.SetClock(func() time.Time { return now })
		for _, addr := range []string{"ann@example.org", "bob@example.org", "ANN@example.org"} {
			if ok, err := st.QueueSignup(ctx, addr, "x", 3); err != nil || !ok {
				t.Fatalf("queue %s: %v %v", addr, ok, err)
			}
		}
		if n, _ := st.CountSignups(ctx); n != 2 {
			t.Fatalf("%d sign-ups queued; want ann once and bob", n)
		}
		if ok, _ := st.QueueSignup(ctx, "cy@example.org", "", 2); ok {
			t.Error("a sign-up was queued past the bound")
		}
		if ok, _ := st.QueueSignup(ctx, "cy@example.org", "", 3); !ok {
			t.Error("a sign-up under the bound was refused")
		}

		// Another process on the same database claims what this one has
		// not.
		other := db.openURL(t, url)
		other.SetClock(func() time.Time { return now })
		a, err := st.ClaimSignups(ctx, "a", 2, time.Minute)
		if err != nil || len(a) != 2 || a[0].Email != "ann@example.org" || a[0].Name != "x" {
			t.Fatalf("first claim: %+v %v", a, err)
		}
		b, err := other.ClaimSignups(ctx, "b", 5, time.Minute)
		if err != nil || len(b) != 1 || b[0].Email != "cy@example.org" {
			t.Fatalf("second claim: %+v %v; want cy alone", b, err)
		}
		if err := st.SignupDone(ctx, a[0].ID, "a"); err != nil {
			t.Fatal(err)
		}
		if err := st.RetrySignup(ctx, a[1].ID, "a", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		// b stops without ending cy: its claim is freed.
		if err := other.ReleaseSignups(ctx, "b"); err != nil {
			t.Fatal(err)
		}
		c, _ := st.ClaimSignups(ctx, "a", 5, time.Minute)
		if len(c) != 1 || c[0].Email != "cy@example.org" {
			t.Fatalf("after a retry and a release: %+v; want cy (bob waits an hour)", c)
		}
		// A claim whose holder died runs out; bob is due in an hour.
		now = now.Add(time.Hour)
		d, _ := other.ClaimSignups(ctx, "b", 5, time.Minute)
		if len(d) != 2 || d[0].Email != "cy@example.org" || d[1].Email != "bob@example.org" || d[1].Attempts != 1 {
			t.Fatalf("an hour later: %+v; want cy (its claim ran out) and bob, with one failed attempt", d)
		}
		if n, _ := st.CountSignups(ctx); n != 2 {
			t.Errorf("%d sign-ups left, want 2", n)
		}
	})
}
