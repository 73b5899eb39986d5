package schedule

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/clocktest"
	"github.com/bulletin-app/bulletin/internal/storetest"
	"github.com/bulletin-app/bulletin/store"
)

// failLeases makes the database fail every attempt to take the lease of
// job whose expiry is before until, for real: on PostgreSQL the server
// process of the connection taking it is terminated in the middle of the
// statement (pg_terminate_backend, as a restarted or failed-over database
// does it), on SQLite a trigger aborts the statement. The expiry is the
// simulated time plus the lease's ttl, so attempts made later succeed.
func failLeases(t *testing.T, st *store.Store, job string, until time.Time) {
	t.Helper()
	ts := until.UTC().Format("2006-01-02T15:04:05.000000000Z")
	storetest.Exec(t, st,
		fmt.Sprintf(`CREATE TRIGGER fail_lease BEFORE INSERT ON locks
			WHEN NEW.name = '%s' AND NEW.expires_at < '%s'
			BEGIN SELECT RAISE(ABORT, 'injected: the lease cannot be written'); END`, job, ts),
		fmt.Sprintf(`CREATE FUNCTION fail_lease() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				IF NEW.name = '%s' AND NEW.expires_at < '%s'::timestamptz THEN
					PERFORM pg_terminate_backend(pg_backend_pid());
					PERFORM pg_sleep(5); -- the termination ends this
				END IF;
				RETURN NEW;
			END $$;
			CREATE TRIGGER fail_lease BEFORE INSERT ON locks FOR EACH ROW EXECUTE FUNCTION fail_lease();`, job, ts))
}

// TestFireSurvivesALeaseError: the database fails the job's lease right
// after the replica claimed the 07:00 fire. The fire is not lost: the
// replica lets go of the claim and tries again a minute later, when the
// database answers, and runs it then, once. Before, the claim stood, the
// job never ran, and no replica would ever make it up.
func TestFireSurvivesALeaseError(t *testing.T) {
	day := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, time.UTC) }
	path := storetest.URL(t)
	clk := clocktest.New(day(6, 59), day(7, 30))
	st := openStore(t, path, clk)
	opts := Options{Location: time.UTC, CatchUpWindow: 12 * time.Hour, LockTTL: 2 * time.Minute}
	// The lease taken at 07:00 would run to 07:02: it fails; one taken
	// from 07:01 on is written.
	failLeases(t, st, "issue", day(7, 2).Add(30*time.Second))
	var log runLog
	simulate(t, st, clk, []JobSpec{{Name: "issue", Spec: "0 7 * * *", Run: log.job("issue", clk)}}, opts)
	if runs := log.get("issue"); len(runs) != 1 || !runs[0].Equal(day(7, 1)) {
		t.Fatalf("the 07:00 fire ran at %v; want once, at 07:01, after the lease failed at 07:00", runs)
	}
}

// TestFireLeftByAStoppedReplicaIsMadeUp: a replica claims the 07:00 fire,
// cannot take the lease and stops before it tries again. The fire is not
// taken care of: the next replica to start makes it up, once.
func TestFireLeftByAStoppedReplicaIsMadeUp(t *testing.T) {
	day := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, time.UTC) }
	path := storetest.URL(t)
	opts := Options{Location: time.UTC, CatchUpWindow: 12 * time.Hour, LockTTL: 2 * time.Minute}
	var log runLog
	clk := clocktest.New(day(6, 59), day(7, 0))
	st := openStore(t, path, clk)
	failLeases(t, st, "issue", day(7, 2).Add(30*time.Second))
	simulate(t, st, clk, []JobSpec{{Name: "issue", Spec: "0 7 * * *", Run: log.job("issue", clk)}}, opts)
	if runs := log.get("issue"); len(runs) != 0 {
		t.Fatalf("ran at %v with its lease failing", runs)
	}

	clk = clocktest.New(day(7, 20), day(7, 30))
	simulate(t, openStore(t, path, clk), clk, []JobSpec{{Name: "issue", Spec: "0 7 * * *", Run: log.job("issue", clk)}}, opts)
	if runs := log.get("issue"); len(runs) != 1 || !runs[0].Equal(day(7, 20)) {
		t.Fatalf("the 07:00 fire ran at %v; want it made up once at 07:20 by the next replica", runs)
	}
}

// claimAndDie leaves the database as a replica that claimed job's fire at
// and died before it could take the lease leaves it: a claim, unconfirmed,
// that holds for two minutes.
func claimAndDie(t *testing.T, path, job string, at time.Time, holder string) {
	t.Helper()
	ctx := context.Background()
	st := openStore(t, path, clocktest.New(at, at))
	if _, err := st.JobFiresDone(ctx, job, at.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := st.ClaimJobFireFor(ctx, job, at, holder, 2*time.Minute); err != nil || !ok {
		t.Fatalf("claim as %s: %v, %v", holder, ok, err)
	}
}

// TestFireHeldByADeadReplica: a replica claims the 07:00 fire and dies
// before it starts the run. The fire runs once, at 07:02, when the claim
// runs out:
//   - run by a live one: the other replica, which reached 07:00 too and
//     found the fire claimed, looks again then, without waiting for a
//     restart. Before, it counted the fire as done, and only a replica
//     starting later would have made it up;
//   - made up at start: a replica starting at 07:01, while the claim still
//     holds, makes it up then. Before, a claim that still held counted as
//     done at start-up, and the fire was lost.
func TestFireHeldByADeadReplica(t *testing.T) {
	day := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name    string
		start   time.Time
		catchUp time.Duration
	}{
		{"RunByALiveOne", day(6, 59), 0},
		{"MadeUpAtStart", day(7, 1), 12 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := storetest.URL(t)
			claimAndDie(t, path, "issue", day(7, 0), "elsewhere:4242:dead")
			var log runLog
			clk := clocktest.New(tc.start, day(7, 30))
			opts := Options{Location: time.UTC, CatchUpWindow: tc.catchUp, LockTTL: 2 * time.Minute}
			simulate(t, openStore(t, path, clk), clk, []JobSpec{{Name: "issue", Spec: "0 7 * * *", Run: log.job("issue", clk)}}, opts)
			if runs := log.get("issue"); len(runs) != 1 || !runs[0].Equal(day(7, 2)) {
				t.Fatalf("the 07:00 fire ran at %v; want once, at 07:02, when the dead replica's claim ran out", runs)
			}
		})
	}
}

// TestFireHeldByASlowReplicaRunsThere: the replica that claimed the 07:00
// fire is alive, only slow: it begins the run at 07:01. The other, which
// looks again every few seconds, finds the fire taken care of soon after,
// well before the claim would have run out at 07:02 (the simulation ends
// at 07:01:10), and does not run it too. Waiting for the claim's end, a
// replica told nothing for two minutes of a fire run in milliseconds.
func TestFireHeldByASlowReplicaRunsThere(t *testing.T) {
	day := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, time.UTC) }
	path := storetest.URL(t)
	const slow = "elsewhere:4242:slow"
	claimAndDie(t, path, "issue", day(7, 0), slow)
	var log runLog
	clk := clocktest.New(day(6, 59), day(7, 1).Add(10*time.Second))
	st := openStore(t, path, clk)
	begin := func(ctx context.Context) (string, error) {
		// The slow replica, holding the lease, confirms its claim.
		if ok, err := st.ConfirmJobFire(ctx, "issue", day(7, 0), slow); err != nil || !ok {
			return "", fmt.Errorf("the slow replica confirms its claim: %v, %v", ok, err)
		}
		return "", nil
	}
	var logged bytes.Buffer
	opts := Options{Location: time.UTC, LockTTL: 2 * time.Minute, Logger: slog.New(slog.NewTextHandler(&logged, nil))}
	simulate(t, st, clk, []JobSpec{
		{Name: "issue", Spec: "0 7 * * *", Run: log.job("issue", clk)},
		{Name: "slow", Spec: "1 7 * * *", Run: begin},
	}, opts)
	if runs := log.get("issue"); len(runs) != 0 {
		t.Fatalf("the 07:00 fire, begun by the slow replica at 07:01, ran here too at %v", runs)
	}
	if !strings.Contains(logged.String(), `msg="fire time already run: skipped" job=issue`) {
		t.Fatalf("by 07:01:10 the replica had not found the fire taken care of; it logged:\n%s", logged.String())
	}
	if r, err := st.LastJobRun(context.Background(), "slow"); err != nil || !r.OK {
		t.Fatalf("the slow replica's start: %+v, %v", r, err)
	}
}

// TestFireNotLeftToTheLeaseHolderIsTriedAgain: at 07:00 the replica claims
// the fire and finds the job's lease held by another process until
// 07:00:30; the statement that leaves the fire to that holder fails (a
// trigger aborts any change of an open claim's holder). The replica tries
// the fire again at 07:01, when the lease is free, and runs it then. Before, it skipped the fire, its claim
// ran out, and nothing looked at it again until a replica started.
func TestFireNotLeftToTheLeaseHolderIsTriedAgain(t *testing.T) {
	day := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, time.UTC) }
	path := storetest.URL(t)
	other := openStore(t, path, clocktest.New(day(7, 0), day(7, 0)))
	if err := other.Lock(context.Background(), "issue", "elsewhere:4242:busy", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	storetest.Exec(t, other,
		`CREATE TRIGGER fail_leave BEFORE UPDATE ON job_fires
			WHEN OLD.claim_holder IS NOT NULL AND NEW.claim_holder IS NOT OLD.claim_holder
				AND NEW.done_upto = OLD.done_upto
			BEGIN SELECT RAISE(ABORT, 'injected: the fire cannot be left'); END`,
		`CREATE FUNCTION fail_leave() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				IF OLD.claim_holder IS NOT NULL AND NEW.claim_holder IS DISTINCT FROM OLD.claim_holder
						AND NEW.done_upto = OLD.done_upto THEN
					RAISE EXCEPTION 'injected: the fire cannot be left';
				END IF;
				RETURN NEW;
			END $$;
			CREATE TRIGGER fail_leave BEFORE UPDATE ON job_fires FOR EACH ROW EXECUTE FUNCTION fail_leave();`)
	var log runLog
	clk := clocktest.New(day(6, 59), day(7, 30))
	opts := Options{Location: time.UTC, LockTTL: 2 * time.Minute}
	simulate(t, openStore(t, path, clk), clk, []JobSpec{{Name: "issue", Spec: "0 7 * * *", Run: log.job("issue", clk)}}, opts)
	if runs := log.get("issue"); len(runs) != 1 || !runs[0].Equal(day(7, 1)) {
		t.Fatalf("the 07:00 fire ran at %v; want once, at 07:01, once the lease was free", runs)
	}
}

// TestSlowClaimerDoesNotRunAFireRunMeanwhile: the replica claims the 07:00
// fire and is slow to take the lease; meanwhile its claim runs out, and
// another replica claims the fire, confirms it and runs it (a trigger on
// the lease's insert plays that replica). Holding the lease at last, the
// replica finds the fire confirmed by the other and does not run it.
// Before, it ran it "under the lease": a second run.
func TestSlowClaimerDoesNotRunAFireRunMeanwhile(t *testing.T) {
	day := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, time.UTC) }
	path := storetest.URL(t)
	clk := clocktest.New(day(6, 59), day(7, 30))
	st := openStore(t, path, clk)
	const forever = "9999-12-31T00:00:00.000000000Z"
	storetest.Exec(t, st,
		`CREATE TRIGGER run_meanwhile BEFORE INSERT ON locks WHEN NEW.name = 'issue'
			BEGIN UPDATE job_fires SET claim_holder = 'elsewhere:4242:quick', claim_until = '`+forever+`'
				WHERE job = 'issue' AND claim_holder <> 'elsewhere:4242:quick'; END`,
		`CREATE FUNCTION run_meanwhile() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				IF NEW.name = 'issue' THEN
					UPDATE job_fires SET claim_holder = 'elsewhere:4242:quick', claim_until = '`+forever+`'
					WHERE job = 'issue' AND claim_holder <> 'elsewhere:4242:quick';
				END IF;
				RETURN NEW;
			END $$;
			CREATE TRIGGER run_meanwhile BEFORE INSERT ON locks FOR EACH ROW EXECUTE FUNCTION run_meanwhile();`)
	var log runLog
	opts := Options{Location: time.UTC, LockTTL: 2 * time.Minute}
	simulate(t, st, clk, []JobSpec{{Name: "issue", Spec: "0 7 * * *", Run: log.job("issue", clk)}}, opts)
	if runs := log.get("issue"); len(runs) != 0 {
		t.Fatalf("the 07:00 fire, run by another replica meanwhile, ran here too at %v", runs)
	}
	if done, err := st.JobFiresDone(context.Background(), "issue", time.Time{}); err != nil || !done.Equal(day(7, 0)) {
		t.Fatalf("fires done up to %v, %v; want 07:00, taken care of by the other replica", done, err)
	}
}
