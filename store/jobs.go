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
	_, err := s.db.ExecContext(ctx, `INSERT INTO job_runs (job, started_at, finished_at, ok, error, detail, scheduled_at, cause, duration_ms)
		VALUES (?, ?, NULL, 0, '', '', ?, ?, 0)
		ON CONFLICT (job) DO UPDATE SET started_at = excluded.started_at, finished_at = NULL, ok = 0,
			error = '', detail = '', scheduled_at = excluded.scheduled_at, cause = excluded.cause, duration_ms = 0`,
		job, formatTime(s.now()), nullTime(scheduled), cause)
	if err != nil {
		return fmt.Errorf("record start of job %s: %w", job, err)
	}
	return nil
}

// RecordJobEnd notes the outcome of job's run started by RecordJobStart.
func (s *Store) RecordJobEnd(ctx context.Context, job string, runErr error, detail string) error {
	now := s.now()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var started time.Time
		err := tx.QueryRowContext(ctx, `SELECT started_at FROM job_runs WHERE job = ?`, job).Scan(scanTime{&started})
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
		_, err = tx.ExecContext(ctx, `UPDATE job_runs SET finished_at = ?, ok = ?, error = ?, detail = ?, duration_ms = ?,
			last_success_at = CASE WHEN ? THEN ? ELSE last_success_at END WHERE job = ?`,
			formatTime(now), ok, msg, detail, now.Sub(started).Milliseconds(), ok, formatTime(now), job)
		return err
	})
	if err != nil {
		return fmt.Errorf("record end of job %s: %w", job, err)
	}
	return nil
}

const jobRunSelect = `SELECT r.job, r.scheduled_at, r.cause, r.started_at, r.finished_at, r.ok, r.error, r.detail,
	r.duration_ms, r.last_success_at, coalesce(l.expires_at > ?, 0)
	FROM job_runs r LEFT JOIN locks l ON l.name = r.job `

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
	rows, err := s.db.QueryContext(ctx, jobRunSelect+`ORDER BY r.job`, formatTime(s.now()))
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
	r, err := scanJobRun(s.db.QueryRowContext(ctx, jobRunSelect+`WHERE r.job = ?`, formatTime(s.now()), job))
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
// before a job was first scheduled were never missed.
func (s *Store) JobFiresDone(ctx context.Context, job string, since time.Time) (time.Time, error) {
	var done time.Time
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO job_fires (job, done_upto) VALUES (?, ?) ON CONFLICT (job) DO NOTHING`,
			job, formatTime(since)); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT done_upto FROM job_fires WHERE job = ?`, job).Scan(scanTime{&done})
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("fires of job %s: %w", job, err)
	}
	return done, nil
}

// ClaimJobFire marks job's fire time at as taken care of. It reports false
// when that fire, or a later one, was claimed already, by this process or
// another one sharing the database: the caller must not run it.
func (s *Store) ClaimJobFire(ctx context.Context, job string, at time.Time) (bool, error) {
	// Fixed-width UTC text compares like the times it holds.
	res, err := s.db.ExecContext(ctx, `INSERT INTO job_fires (job, done_upto) VALUES (?, ?)
		ON CONFLICT (job) DO UPDATE SET done_upto = excluded.done_upto WHERE excluded.done_upto > job_fires.done_upto`,
		job, formatTime(at))
	if err != nil {
		return false, fmt.Errorf("claim fire of job %s: %w", job, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim fire of job %s: %w", job, err)
	}
	return n == 1, nil
}

// RenameJob hands the history of job from, its latest run and the fire
// times taken care of, to job to: a job renamed in the config neither makes
// up again the runs it made under its old name nor loses its last run. When
// to has a history of its own, its latest run is kept, and the later of the
// two fire times. A job from that never ran changes nothing.
func (s *Store) RenameJob(ctx context.Context, from, to string) error {
	var found bool
	err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM job_runs WHERE job = ?)
		OR EXISTS (SELECT 1 FROM job_fires WHERE job = ?)`, from, from).Scan(&found)
	if err == nil && found {
		err = s.tx(ctx, func(tx *sql.Tx) error {
			// The WHERE also keeps SQLite from reading ON CONFLICT as part
			// of the SELECT.
			if _, err := tx.ExecContext(ctx, `INSERT INTO job_fires (job, done_upto)
				SELECT ?, done_upto FROM job_fires WHERE job = ?
				ON CONFLICT (job) DO UPDATE SET done_upto = excluded.done_upto WHERE excluded.done_upto > job_fires.done_upto`,
				to, from); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE job_runs SET job = ?
				WHERE job = ? AND NOT EXISTS (SELECT 1 FROM job_runs WHERE job = ?)`, to, from, to); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM job_fires WHERE job = ?`, from); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `DELETE FROM job_runs WHERE job = ?`, from)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("rename job %s to %s: %w", from, to, err)
	}
	return nil
}
