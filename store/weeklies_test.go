package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/source"
)

// TestWeeklyDigests makes weekly digests over issues made on a clock the
// test moves, and plans their deliveries: each digest covers the issues of
// its week that no earlier one did, is numbered below zero, stays out of
// every list of issues, and has ledger rows only for the subscribers who
// chose it, not paused when it was made.
func TestWeeklyDigests(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		now := time.Date(2026, 11, 2, 7, 0, 0, 0, time.UTC) // a Monday
		st.SetClock(func() time.Time { return now })
		issue := func(i int) {
			t.Helper()
			a := source.Article{Key: fmt.Sprint("k", i), Title: fmt.Sprint("Story ", i), Text: "Text", Source: "S"}
			if _, err := st.SaveArticle(ctx, a, false); err != nil {
				t.Fatal(err)
			}
			todo, _ := st.ArticlesToSummarize(ctx)
			for _, a := range todo {
				if err := st.SaveEntry(ctx, Entry{ArticleID: a.ID, ContentHash: a.ContentHash, Summary: []string{"One."}, Method: "x"}); err != nil {
					t.Fatal(err)
				}
			}
			un, _ := st.UnissuedEntries(ctx)
			if _, err := st.CreateIssue(ctx, func(n int) string { return fmt.Sprint("Issue ", n) }, []int64{un[0].ID}); err != nil {
				t.Fatal(err)
			}
		}
		every, _, _ := st.AddSubscriber(ctx, "every@example.org", "", StatusConfirmed)
		weekly, _, _ := st.AddSubscriber(ctx, "weekly@example.org", "", StatusConfirmed)
		paused, _, _ := st.AddSubscriber(ctx, "paused@example.org", "", StatusConfirmed)
		if err := st.SetPreferences(ctx, weekly.ID, CadenceWeekly, time.Time{}); err != nil {
			t.Fatal(err)
		}
		// Paused for ten days, from the first Monday.
		if err := st.SetPreferences(ctx, paused.ID, CadenceWeekly, now.Add(10*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.SubscriberByEmail(ctx, "paused@example.org"); got.Cadence != CadenceWeekly || !got.PausedUntil.Equal(now.Add(10*24*time.Hour)) {
			t.Fatalf("preferences read back as %q until %v", got.Cadence, got.PausedUntil)
		}
		if err := st.SetPreferences(ctx, every.ID, "monthly", time.Time{}); err == nil {
			t.Error("an unknown cadence was taken")
		}

		week := 7 * 24 * time.Hour
		issue(1) // Monday
		now = now.Add(2 * 24 * time.Hour)
		issue(2) // Wednesday
		if n, err := st.PlanDeliveries(ctx, 2, "example.org"); err != nil || n != 1 {
			t.Fatalf("issue 2 planned for %d subscribers (%v), want every@ alone", n, err)
		}
		now = now.Add(5 * 24 * time.Hour) // the next Monday, 07:00
		w1, err := st.CreateWeekly(ctx, now.Add(-week), now, "Week 1")
		if err != nil {
			t.Fatal(err)
		}
		if w1.Number != -1 || w1.FirstIssue != 1 || w1.LastIssue != 2 || w1.Title != "Week 1" {
			t.Errorf("first weekly: %+v", w1)
		}
		if n, err := st.PlanDeliveries(ctx, w1.Number, "example.org"); err != nil || n != 1 {
			t.Fatalf("weekly -1 planned for %d (%v), want weekly@ alone (paused@ is paused)", n, err)
		}
		rows, _ := st.Deliveries(ctx, w1.Number, DeliveryPending, true, 0, 0)
		if len(rows) != 1 || rows[0].Email != "weekly@example.org" {
			t.Errorf("weekly -1's rows: %+v", rows)
		}
		// Nothing new since: no digest, however often asked.
		if _, err := st.CreateWeekly(ctx, now.Add(-week), now, "again"); !errors.Is(err, ErrNotFound) {
			t.Errorf("a second digest of the same week: %v, want ErrNotFound", err)
		}
		issue(3)
		now = now.Add(week)
		w2, err := st.CreateWeekly(ctx, now.Add(-week), now, "Week 2")
		if err != nil || w2.Number != -2 || w2.FirstIssue != 3 || w2.LastIssue != 3 {
			t.Fatalf("second weekly: %+v %v", w2, err)
		}
		// The pause ended on the Thursday before: paused@ gets this one.
		if n, err := st.PlanDeliveries(ctx, w2.Number, "example.org"); err != nil || n != 2 {
			t.Errorf("weekly -2 planned for %d (%v), want weekly@ and paused@", n, err)
		}
		if latest, err := st.LatestWeekly(ctx); err != nil || latest.Number != -2 {
			t.Errorf("latest weekly: %+v %v", latest, err)
		}
		// Issues are still numbered 1, 2, 3, 4, and listed without digests.
		issue(4)
		if latest, err := st.LatestIssue(ctx); err != nil || latest.Number != 4 {
			t.Errorf("latest issue: %d %v", latest.Number, err)
		}
		all, _ := st.Issues(ctx, 0)
		if len(all) != 4 || all[3].Number != 1 {
			t.Errorf("issues listed: %d", len(all))
		}
		if tot, _ := st.Totals(ctx); tot.Issues != 4 {
			t.Errorf("totals count %d issues, want 4", tot.Issues)
		}
	})
}

// TestSignupQueueKinds queues a sign-up and a welcome for one address:
// each waits once, and neither crowds the other out.
func TestSignupQueueKinds(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		if ok, err := st.QueueSignup(ctx, "a@example.org", "A", 1); !ok || err != nil {
			t.Fatal(ok, err)
		}
		for range 2 {
			if err := st.QueueWelcome(ctx, "A@example.org", "A"); err != nil {
				t.Fatal(err)
			}
		}
		// The bound is on sign-ups: the welcome does not count.
		if ok, err := st.QueueSignup(ctx, "b@example.org", "", 2); !ok || err != nil {
			t.Fatalf("a second sign-up under a bound of 2: %v %v", ok, err)
		}
		got, err := st.ClaimSignups(ctx, "w", 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[SignupKind]int{}
		for _, su := range got {
			kinds[su.Kind]++
		}
		if len(got) != 3 || kinds[SignupConfirm] != 2 || kinds[SignupWelcome] != 1 {
			t.Errorf("claimed %+v", got)
		}
	})
}
