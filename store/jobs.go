package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// JobRun is the latest run of a scheduled job.
type JobRun struct {
	Job       string
	Scheduled time.Time // the fire time it ran for; zero for a manual run
	Cause     string    // schedule, catch-up or manual
	Started   time.Time
	Finished  time.Time // zero while it runs, or if the process died during it
	OK        bool
	Error     string
	Detail    string
	Duration  time.Duration
	// LastSuccess is when the job last finished without error, whichever
	// run that was.
	LastSuccess time.Time
	// Running is true while a process holds the job's lease. A run that
	// never finished and is not Running was cut short.
	Running bool
}

// Interrupted tells whether the run stopped without recording its end: the
// process was killed during it.
func (r JobRun) Interrupted() bool { return r.Finished.IsZero() && !r.Running }

// RecordJobStart notes that job started for the fire time scheduled (zero
// for a manual run). It replaces the job's previous run but keeps its last
// success.
func (s *Store) RecordJobStart(ctx context.Context, job string, scheduled time.Time, cause string) error {
	_, err := s.exec(ctx, qJobStart, job, s.timeArg(s.now()), s.nullTimeArg(scheduled), cause)
	if err != nil {
		return fmt.Errorf("record start of job %s: %w", job, err)
	}
	return nil
}

// RecordJobEnd notes the outcome of job's run started by RecordJobStart.
func (s *Store) RecordJobEnd(ctx context.Context, job string, runErr error, detail string) error {
	now := s.now()
	err := s.tx(ctx, func(tx runner) error {
		var started time.Time
		err := tx.queryRow(ctx, qJobStartedAt, job).Scan(scanTime{&started})
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("no run started: %w", ErrNotFound)
		}
		if err != nil {
			return err
		}
		msg, ok := "", runErr == nil
		if runErr != nil {
			msg = runErr.Error()
		}
		_, err = tx.exec(ctx, qJobEnd, s.timeArg(now), ok, msg, detail, now.Sub(started).Milliseconds(), ok, s.timeArg(now), job)
		return err
	})
	if err != nil {
		return fmt.Errorf("record end of job %s: %w", job, err)
	}
	return nil
}

func scanJobRun(row interface{ Scan(...any) error }) (JobRun, error) {
	var r JobRun
	var ms int64
	err := row.Scan(&r.Job, scanTime{&r.Scheduled}, &r.Cause, scanTime{&r.Started}, scanTime{&r.Finished},
		&r.OK, &r.Error, &r.Detail, &ms, scanTime{&r.LastSuccess}, &r.Running)
	r.Duration = time.Duration(ms) * time.Millisecond
	return r, err
}

// JobRuns returns the latest run of every job that ever ran, by job name.
func (s *Store) JobRuns(ctx context.Context) ([]JobRun, error) {
	rows, err := s.query(ctx, qJobRuns, s.timeArg(s.now()))
	if err != nil {
		return nil, fmt.Errorf("job runs: %w", err)
	}
	defer rows.Close()
	var out []JobRun
	for rows.Next() {
		r, err := scanJobRun(rows)
		if err != nil {
			return nil, fmt.Errorf("job runs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LastJobRun returns job's latest run, or ErrNotFound if it never ran.
func (s *Store) LastJobRun(ctx context.Context, job string) (JobRun, error) {
	r, err := scanJobRun(s.queryRow(ctx, qJobRun, s.timeArg(s.now()), job))
	if errors.Is(err, sql.ErrNoRows) {
		return JobRun{}, fmt.Errorf("job %s: %w", job, ErrNotFound)
	}
	if err != nil {
		return JobRun{}, fmt.Errorf("job %s: %w", job, err)
	}
	return r, nil
}

// JobFiresDone returns the latest fire time of job that has been taken care
// of. The first call for a job records since and returns it: fire times
// before a job was first scheduled were never missed. A fire claimed by
// ClaimJobFireFor and not confirmed is not taken care of, whether its
// claim still holds (its claimer may have died before it could start the
// run) or not: the time returned is just before it. Whoever makes it up
// claims it first, and so waits for a claim that still holds.
func (s *Store) JobFiresDone(ctx context.Context, job string, since time.Time) (time.Time, error) {
	var done time.Time
	var open bool
	err := s.tx(ctx, func(tx runner) error {
		if _, err := tx.exec(ctx, qJobFiresInit, job, s.timeArg(since)); err != nil {
			return err
		}
		return tx.queryRow(ctx, qJobFiresDone, job, s.timeArg(claimForever)).Scan(scanTime{&done}, &open)
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("fires of job %s: %w", job, err)
	}
	if open {
		done = done.Add(-time.Nanosecond)
	}
	return done, nil
}

// ClaimJobFire marks job's fire time at as taken care of. It reports false
// when that fire, or a later one, was claimed already, by this process or
// another one sharing the database: the caller must not run it.
func (s *Store) ClaimJobFire(ctx context.Context, job string, at time.Time) (bool, error) {
	res, err := s.exec(ctx, qJobFireClaim, job, s.timeArg(at))
	return changedOne(res, err, "claim fire of job "+job)
}

// changedOne reports whether the statement that gave res changed a row,
// with what for its errors.
func changedOne(res sql.Result, err error, what string) (bool, error) {
	var n int64
	if err == nil {
		n, err = res.RowsAffected()
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return n == 1, nil
}

// claimForever is the claim_until of a confirmed claim: it holds for good.
// A time, not NULL, so that the claim keeps its holder's name (see
// ConfirmJobFire) and an older bulletin reads it as a claim that holds.
var claimForever = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// ClaimJobFireFor claims job's fire time at for holder, as ClaimJobFire
// does, but only until ttl passes unless ConfirmJobFire says the run under
// it began: a claimer that cannot start the job (its lease cannot be
// written, the process dies) leaves the fire to whoever claims it next.
// It also reports true for a claim of at that holder made already,
// confirmed or not (holder alone knows whether its run began), or that
// was let go of or ran out unconfirmed.
//
// When the claim fails because another holder's unconfirmed claim of at
// holds it, held names that claim: if its claimer died before starting
// the run, the fire is whoever's claims it after held.Until. held is zero
// when the fire is taken care of.
func (s *Store) ClaimJobFireFor(ctx context.Context, job string, at time.Time, holder string, ttl time.Duration) (claimed bool, held FireClaim, err error) {
	now := s.now()
	res, err := s.exec(ctx, qJobFireClaimFor, job, s.timeArg(at), holder, s.timeArg(now.Add(ttl)), s.timeArg(now))
	if claimed, err = changedOne(res, err, "claim fire of job "+job); err != nil || claimed {
		return claimed, FireClaim{}, err
	}
	err = s.queryRow(ctx, qJobFireHeld, job, s.timeArg(at), holder, s.timeArg(claimForever)).Scan(&held.Holder, scanTime{&held.Until})
	if errors.Is(err, sql.ErrNoRows) {
		return false, FireClaim{}, nil
	}
	if err != nil {
		return false, FireClaim{}, fmt.Errorf("claim fire of job %s: %w", job, err)
	}
	return false, held, nil
}

// FireClaim is a claim of a fire time that has not been confirmed.
type FireClaim struct {
	Holder string    // the claimer, as it named itself
	Until  time.Time // when the claim runs out
}

// ConfirmJobFire makes holder's claim of job's fire time at hold for good:
// the run under it begins. Call it holding the job's lease (named as the
// job). It takes over another's claim of at that is not confirmed: one
// made after holder's ran out, whose claimer finds the lease taken and
// leaves the run to holder (LeaveJobFire). It reports false when the fire
// was confirmed by another holder, which ran it, or a later one was
// claimed since: holder must not run it. Confirming again reports true:
// a confirm whose reply was lost can be made again.
func (s *Store) ConfirmJobFire(ctx context.Context, job string, at time.Time, holder string) (bool, error) {
	res, err := s.exec(ctx, qJobFireConfirm, job, s.timeArg(at), holder, s.timeArg(claimForever))
	return changedOne(res, err, "confirm fire of job "+job)
}

// LeaveJobFire is for holder, which claimed job's fire time at and found
// the job's lease (named as the job) taken by another: the fire is
// confirmed in the name of the lease's holder, whose run is under way or
// about to be, and is taken care of. It reports false when holder's claim
// is gone (it ran out and another claimed the fire, or a later one) or
// the lease was let go of meanwhile: holder may try again.
func (s *Store) LeaveJobFire(ctx context.Context, job string, at time.Time, holder string) (bool, error) {
	res, err := s.exec(ctx, qJobFireLeave, job, s.timeArg(at), holder, s.timeArg(claimForever))
	return changedOne(res, err, "leave fire of job "+job)
}

// ReleaseJobFire lets go of holder's claim of job's fire time at,
// confirmed or not, for a holder that did not start the run: the next
// claim of it, by any process, gets it.
func (s *Store) ReleaseJobFire(ctx context.Context, job string, at time.Time, holder string) error {
	if _, err := s.exec(ctx, qJobFireRelease, s.timeArg(s.now()), job, s.timeArg(at), holder); err != nil {
		return fmt.Errorf("release fire of job %s: %w", job, err)
	}
	return nil
}

// RenameJob hands the history of job from, its latest run and the fire
// times taken care of, to job to: a job renamed in the config neither makes
// up again the runs it made under its old name nor loses its last run. When
// to has a history of its own, its latest run is kept, and the later of the
// two fire times. A job from that never ran changes nothing.
func (s *Store) RenameJob(ctx context.Context, from, to string) error {
	var found bool
	err := s.queryRow(ctx, qJobHistoryExists, from, from).Scan(&found)
	if err == nil && found {
		err = s.tx(ctx, func(tx runner) error {
			if _, err := tx.exec(ctx, qJobFiresRename, to, from); err != nil {
				return err
			}
			if _, err := tx.exec(ctx, qJobRunsRename, to, from, to); err != nil {
				return err
			}
			if _, err := tx.exec(ctx, qJobFiresForget, from); err != nil {
				return err
			}
			_, err := tx.exec(ctx, qJobRunsForget, from)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("rename job %s to %s: %w", from, to, err)
	}
	return nil
}
