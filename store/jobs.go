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
