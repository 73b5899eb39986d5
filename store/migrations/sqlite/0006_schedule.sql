-- What the scheduler needs beyond 0001's job_runs: when a run was due, what
-- started it, how long it took and when the job last succeeded.
ALTER TABLE job_runs ADD COLUMN scheduled_at TEXT;               -- NULL for a manual run
ALTER TABLE job_runs ADD COLUMN cause TEXT NOT NULL DEFAULT '';  -- schedule, catch-up or manual
ALTER TABLE job_runs ADD COLUMN duration_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE job_runs ADD COLUMN last_success_at TEXT;

-- The latest fire time of each job that has been taken care of (run, or
-- given up as too old). A fire time after it that has passed was missed
-- while bulletin was down; claiming a fire time moves it forward, so that
-- two processes, or a restart, never run the same fire twice.
CREATE TABLE job_fires (
    job       TEXT PRIMARY KEY,
    done_upto TEXT NOT NULL
);
