package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestJobRunsRecordOutcomeAndKeepLastSuccess(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		now := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
		st.SetClock(func() time.Time { return now })

		if _, err := st.LastJobRun(ctx, "publish"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("LastJobRun before any run: %v; want ErrNotFound", err)
		}
		due := now
		if err := st.RecordJobStart(ctx, "publish", due, "schedule"); err != nil {
			t.Fatal(err)
		}
		now = now.Add(1500 * time.Millisecond)
		if err := st.RecordJobEnd(ctx, "publish", nil, "sent 3"); err != nil {
			t.Fatal(err)
		}
		firstOK := now

		now = now.Add(time.Hour)
		if err := st.RecordJobStart(ctx, "publish", time.Time{}, "manual"); err != nil {
			t.Fatal(err)
		}
		mid, err := st.LastJobRun(ctx, "publish")
		if err != nil {
			t.Fatal(err)
		}
		if !mid.Finished.IsZero() || mid.OK || !mid.Interrupted() {
			t.Errorf("a started run with no lease reads as %+v; want unfinished and interrupted", mid)
		}
		now = now.Add(2 * time.Second)
		if err := st.RecordJobEnd(ctx, "publish", errors.New("smtp down"), ""); err != nil {
			t.Fatal(err)
		}

		r, err := st.LastJobRun(ctx, "publish")
		if err != nil {
			t.Fatal(err)
		}
		if r.OK || r.Error != "smtp down" || r.Cause != "manual" || !r.Scheduled.IsZero() {
			t.Errorf("failed manual run reads as %+v", r)
		}
		if r.Duration != 2*time.Second {
			t.Errorf("Duration = %v; want 2s", r.Duration)
		}
		if !r.LastSuccess.Equal(firstOK) {
			t.Errorf("LastSuccess = %v; want the earlier success %v", r.LastSuccess, firstOK)
		}
		if r.Interrupted() {
			t.Error("a finished run reads as interrupted")
		}

		if err := st.RecordJobEnd(ctx, "collect", nil, ""); !errors.Is(err, ErrNotFound) {
			t.Errorf("RecordJobEnd with no start: %v; want ErrNotFound", err)
		}
	})
}

func TestJobRunsShowsRunningWhileLeaseHeld(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		now := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
		st.SetClock(func() time.Time { return now })
		for _, job := range []string{"publish", "collect"} {
			if err := st.RecordJobStart(ctx, job, now, "schedule"); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Lock(ctx, "publish", "host:1", time.Minute); err != nil {
			t.Fatal(err)
		}
		runs, err := st.JobRuns(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 2 || runs[0].Job != "collect" || runs[1].Job != "publish" {
			t.Fatalf("JobRuns = %+v; want collect, publish", runs)
		}
		if runs[0].Running || !runs[1].Running {
			t.Errorf("Running = %v, %v; want false, true", runs[0].Running, runs[1].Running)
		}
		now = now.Add(2 * time.Minute) // the lease expired: its holder died
		if r, _ := st.LastJobRun(ctx, "publish"); r.Running || !r.Interrupted() {
			t.Errorf("after the lease expired: %+v; want interrupted", r)
		}
	})
}

// TestFireClaimHoldsOnceConfirmed: a fire claimed for a holder holds
// against others until it runs out, and they are told whose it is and
// until when; unconfirmed, it is not taken care of (its claimer may have
// died), and once let go of or run out the next claim gets it; confirmed,
// it holds for good against others, while its holder may confirm it
// again, claim it again or let go of it, for a confirm whose reply was
// lost.
func TestFireClaimHoldsOnceConfirmed(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		c := newFireClaims(t, db)
		fire, open := c.now, c.now.Add(-time.Nanosecond)
		c.claim(c.a, "a", fire, true, FireClaim{})
		c.claim(c.b, "b", fire, false, FireClaim{"a", fire.Add(2 * time.Minute)}) // a's, for two minutes
		c.claim(c.a, "a", fire, true, FireClaim{})                                // a's own again
		c.done(open)                                                              // a may have died
		c.now = c.now.Add(3 * time.Minute)                                        // a died: its claim ran out
		c.done(open)
		c.claim(c.b, "b", fire, true, FireClaim{})
		c.confirm(c.b, "b", fire, true)  // b runs it
		c.confirm(c.a, "a", fire, false) // a, back, must not
		if err := c.b.ReleaseJobFire(c.ctx, "issue", fire, "b"); err != nil {
			c.t.Fatal(err) // b could not start the run after all
		}
		c.done(open)
		c.claim(c.a, "a", fire, true, FireClaim{}) // let go of: anyone's at once
		c.confirm(c.a, "a", fire, true)
		c.confirm(c.a, "a", fire, true) // again, as after a lost reply
		c.now = c.now.Add(time.Hour)
		c.done(fire)
		c.claim(c.b, "b", fire, false, FireClaim{}) // taken care of for good
		c.claim(c.a, "a", fire, true, FireClaim{})  // but a's own: a knows whether its run began
		c.confirm(c.a, "a", fire, true)
		c.done(fire)
		if err := c.a.ReleaseJobFire(c.ctx, "issue", fire, "a"); err != nil {
			c.t.Fatal(err) // a could not start the run after all
		}
		c.done(open)
		c.claim(c.b, "b", fire, true, FireClaim{})
	})
}

// TestFireLeftToTheLeaseHolder: a claimer that finds the job's lease taken
// leaves the fire to the lease's holder, which then confirms it and runs
// it; and the lease's holder, whose own claim ran out and was claimed
// again by another, takes that unconfirmed claim over when it confirms.
func TestFireLeftToTheLeaseHolder(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		c := newFireClaims(t, db)
		fire := c.now
		lease := func(holder string) {
			c.t.Helper()
			if err := c.a.Lock(c.ctx, "issue", holder, time.Hour); err != nil {
				c.t.Fatal(err)
			}
		}
		c.claim(c.b, "b", fire, true, FireClaim{})
		if left, err := c.b.LeaveJobFire(c.ctx, "issue", fire, "b"); err != nil || left {
			c.t.Errorf("b leaves the fire with the lease free: %v, %v; want false", left, err)
		}
		lease("a")
		if left, err := c.b.LeaveJobFire(c.ctx, "issue", fire, "b"); err != nil || !left {
			c.t.Errorf("b leaves the fire to a, which holds the lease: %v, %v; want true", left, err)
		}
		c.done(fire)
		c.claim(c.b, "b", fire, false, FireClaim{})
		c.confirm(c.a, "a", fire, true) // left to it: a runs it

		// a claims the next fire, stalls past its claim's end; b claims it
		// again; a, under the lease, confirms first and takes it over, and
		// b, which then finds the lease taken, has nothing left to leave.
		next := fire.Add(time.Hour)
		c.now = next
		c.claim(c.a, "a", next, true, FireClaim{})
		c.now = c.now.Add(3 * time.Minute)
		c.claim(c.b, "b", next, true, FireClaim{})
		c.confirm(c.a, "a", next, true)
		if left, err := c.b.LeaveJobFire(c.ctx, "issue", next, "b"); err != nil || left {
			c.t.Errorf("b leaves a fire a took over: %v, %v; want false", left, err)
		}
		c.confirm(c.b, "b", next, false)
		c.done(next)
	})
}

// fireClaims drives two stores on one database, at a time of the test's.
type fireClaims struct {
	t    *testing.T
	ctx  context.Context
	now  time.Time
	a, b *Store
}

func newFireClaims(t *testing.T, db testDB) *fireClaims {
	c := &fireClaims{t: t, ctx: context.Background(), now: time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)}
	c.a = db.open(t)
	c.b = db.openURL(t, c.a.target)
	clock := func() time.Time { return c.now }
	c.a.SetClock(clock)
	c.b.SetClock(clock)
	if _, err := c.a.JobFiresDone(c.ctx, "issue", c.now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *fireClaims) claim(st *Store, holder string, fire time.Time, want bool, wantHeld FireClaim) {
	c.t.Helper()
	got, held, err := st.ClaimJobFireFor(c.ctx, "issue", fire, holder, 2*time.Minute)
	if err != nil || got != want || held.Holder != wantHeld.Holder || !held.Until.Equal(wantHeld.Until) {
		c.t.Errorf("at %v, %s claims the fire: %v, held %+v, %v; want %v, held %+v", c.now.Format("15:04"), holder, got, held, err, want, wantHeld)
	}
}

func (c *fireClaims) confirm(st *Store, holder string, fire time.Time, want bool) {
	c.t.Helper()
	if ok, err := st.ConfirmJobFire(c.ctx, "issue", fire, holder); err != nil || ok != want {
		c.t.Errorf("at %v, %s confirms the fire: %v, %v; want %v", c.now.Format("15:04"), holder, ok, err, want)
	}
}

func (c *fireClaims) done(want time.Time) {
	c.t.Helper()
	if got, err := c.b.JobFiresDone(c.ctx, "issue", time.Time{}); err != nil || !got.Equal(want) {
		c.t.Errorf("at %v, fires done up to %v, %v; want %v", c.now.Format("15:04"), got, err, want)
	}
}

func TestClaimJobFireOncePerFireAcrossProcesses(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		path := db.url(t)
		a, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		b, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()

		t0 := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
		done, err := a.JobFiresDone(ctx, "publish", t0)
		if err != nil || !done.Equal(t0) {
			t.Fatalf("first JobFiresDone = %v, %v; want %v", done, err, t0)
		}
		// A later first look from another process keeps the earlier mark.
		if done, err := b.JobFiresDone(ctx, "publish", t0.Add(time.Hour)); err != nil || !done.Equal(t0) {
			t.Fatalf("second JobFiresDone = %v, %v; want %v", done, err, t0)
		}

		fire := t0.Add(time.Hour)
		steps := []struct {
			st   *Store
			at   time.Time
			want bool
		}{
			{a, fire, true},
			{b, fire, false},                   // the other process comes second
			{a, fire.Add(-time.Minute), false}, // an older fire is settled too
			{b, fire.Add(time.Hour), true},
		}
		for i, s := range steps {
			got, err := s.st.ClaimJobFire(ctx, "publish", s.at)
			if err != nil || got != s.want {
				t.Errorf("step %d: ClaimJobFire(%v) = %v, %v; want %v", i, s.at, got, err, s.want)
			}
		}
		if done, _ := a.JobFiresDone(ctx, "publish", t0); !done.Equal(fire.Add(time.Hour)) {
			t.Errorf("JobFiresDone = %v; want the latest claim %v", done, fire.Add(time.Hour))
		}
		// A job never looked at can be claimed straight away.
		if ok, err := b.ClaimJobFire(ctx, "collect", fire); err != nil || !ok {
			t.Errorf("claim on a new job = %v, %v; want true", ok, err)
		}
	})
}

func TestRenameJobKeepsItsHistory(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		now := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
		st.SetClock(func() time.Time { return now })
		if err := st.RecordJobStart(ctx, "old", now, "schedule"); err != nil {
			t.Fatal(err)
		}
		if err := st.RecordJobEnd(ctx, "old", nil, "sent 3"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ClaimJobFire(ctx, "old", now); err != nil {
			t.Fatal(err)
		}

		if err := st.RenameJob(ctx, "old", "new"); err != nil {
			t.Fatal(err)
		}
		r, err := st.LastJobRun(ctx, "new")
		if err != nil || !r.OK || r.Detail != "sent 3" || !r.Scheduled.Equal(now) {
			t.Errorf("run under the new name: %+v, %v; want the old name's", r, err)
		}
		if _, err := st.LastJobRun(ctx, "old"); !errors.Is(err, ErrNotFound) {
			t.Errorf("the old name still has a run: %v", err)
		}
		// Fire times up to now were taken care of under the old name; the next
		// start-up must not make them up under the new one.
		if done, err := st.JobFiresDone(ctx, "new", now.Add(24*time.Hour)); err != nil || !done.Equal(now) {
			t.Errorf("fires done under the new name: %v, %v; want %v", done, err, now)
		}
		if done, _ := st.JobFiresDone(ctx, "old", now.Add(48*time.Hour)); !done.Equal(now.Add(48 * time.Hour)) {
			t.Errorf("the old name kept its fire times: %v", done)
		}

		// Again, with the new name's own history: its run stays, and the later
		// fire time wins, whichever name had it.
		now = now.Add(time.Hour)
		if err := st.RecordJobStart(ctx, "old", time.Time{}, "manual"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ClaimJobFire(ctx, "old", now.Add(72*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := st.RenameJob(ctx, "old", "new"); err != nil {
			t.Fatal(err)
		}
		if r, err := st.LastJobRun(ctx, "new"); err != nil || r.Cause != "schedule" {
			t.Errorf("run under the new name: %+v, %v; want its own, not the old name's", r, err)
		}
		if done, err := st.JobFiresDone(ctx, "new", time.Time{}); err != nil || !done.Equal(now.Add(72*time.Hour)) {
			t.Errorf("fires done: %v, %v; want the later, %v", done, err, now.Add(72*time.Hour))
		}
		runs, err := st.JobRuns(ctx)
		if err != nil || len(runs) != 1 {
			t.Errorf("job runs %+v, %v; want the new name's alone", runs, err)
		}
		// Nothing under the old name: nothing happens.
		if err := st.RenameJob(ctx, "old", "new"); err != nil {
			t.Fatal(err)
		}
		if done, _ := st.JobFiresDone(ctx, "new", time.Time{}); !done.Equal(now.Add(72 * time.Hour)) {
			t.Errorf("a rename of nothing changed the fires: %v", done)
		}
	})
}
