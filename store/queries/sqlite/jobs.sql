-- Scheduled jobs' runs and fire times (jobs.go).

-- name: job-start
INSERT INTO job_runs (job, started_at, finished_at, ok, error, detail, scheduled_at, cause, duration_ms)
VALUES (?, ?, NULL, 0, '', '', ?, ?, 0)
ON CONFLICT (job) DO UPDATE SET started_at = excluded.started_at, finished_at = NULL, ok = 0,
    error = '', detail = '', scheduled_at = excluded.scheduled_at, cause = excluded.cause, duration_ms = 0

-- name: job-started-at
-- The transaction holds the write lock already.
SELECT started_at FROM job_runs WHERE job = ?

-- name: job-end
-- Arguments: finished, ok, error, detail, duration, ok again, finished
-- again, job.
UPDATE job_runs SET finished_at = ?, ok = ?, error = ?, detail = ?, duration_ms = ?,
    last_success_at = CASE WHEN ? THEN ? ELSE last_success_at END
WHERE job = ?

-- name: job-runs
-- Running: the job's lease has not expired by now, the argument.
SELECT r.job, r.scheduled_at, r.cause, r.started_at, r.finished_at, r.ok, r.error, r.detail,
    r.duration_ms, r.last_success_at, coalesce(l.expires_at > ?, 0)
FROM job_runs r LEFT JOIN locks l ON l.name = r.job
ORDER BY r.job

-- name: job-run
SELECT r.job, r.scheduled_at, r.cause, r.started_at, r.finished_at, r.ok, r.error, r.detail,
    r.duration_ms, r.last_success_at, coalesce(l.expires_at > ?, 0)
FROM job_runs r LEFT JOIN locks l ON l.name = r.job
WHERE r.job = ?

-- name: job-fires-init
INSERT INTO job_fires (job, done_upto) VALUES (?, ?) ON CONFLICT (job) DO NOTHING

-- name: job-fires-done
-- And whether its claim was let go of, or ran out, before the run under
-- it began. Arguments: job, now.
SELECT done_upto, claim_holder IS NOT NULL AND claim_until <= ?2 FROM job_fires WHERE job = ?1

-- name: job-fire-claim
-- Moves the job's fire time forward only: fixed-width UTC text compares
-- like the times it holds.
INSERT INTO job_fires (job, done_upto) VALUES (?, ?)
ON CONFLICT (job) DO UPDATE SET done_upto = excluded.done_upto, claim_holder = NULL, claim_until = NULL
WHERE excluded.done_upto > job_fires.done_upto

-- name: job-fire-claim-for
-- A claim for holder that holds until claim_until unless confirmed: of a
-- later fire time, or of the same one again when its claim is holder's own
-- or was let go of or ran out unconfirmed. Arguments: job, fire time,
-- holder, claim_until, now.
INSERT INTO job_fires (job, done_upto, claim_holder, claim_until) VALUES (?, ?, ?, ?)
ON CONFLICT (job) DO UPDATE SET done_upto = excluded.done_upto, claim_holder = excluded.claim_holder,
    claim_until = excluded.claim_until
WHERE excluded.done_upto > job_fires.done_upto
    OR (excluded.done_upto = job_fires.done_upto AND job_fires.claim_holder IS NOT NULL
        AND (job_fires.claim_holder = excluded.claim_holder OR job_fires.claim_until <= ?))

-- name: job-fire-confirm
-- The run under holder's claim has begun: the fire is taken care of.
-- Arguments: job, fire time, holder.
UPDATE job_fires SET claim_holder = NULL, claim_until = NULL
WHERE job = ? AND done_upto = ? AND claim_holder = ?

-- name: job-fire-release
-- Holder could not start the run: its claim runs out now. Arguments: now,
-- job, fire time, holder.
UPDATE job_fires SET claim_until = ? WHERE job = ? AND done_upto = ? AND claim_holder = ?

-- Renaming a job in the config hands it the old name's history
-- (RenameJob).

-- name: job-history-exists
SELECT EXISTS (SELECT 1 FROM job_runs WHERE job = ?)
    OR EXISTS (SELECT 1 FROM job_fires WHERE job = ?)

-- name: job-fires-rename
-- The later of the two names' fire times. Arguments: new name, old name.
-- The WHERE also keeps SQLite from reading ON CONFLICT as part of the
-- SELECT.
INSERT INTO job_fires (job, done_upto)
SELECT ?, done_upto FROM job_fires WHERE job = ?
ON CONFLICT (job) DO UPDATE SET done_upto = excluded.done_upto WHERE excluded.done_upto > job_fires.done_upto

-- name: job-runs-rename
-- The new name keeps its own latest run if it has one. Arguments: new
-- name, old name, new name.
UPDATE job_runs SET job = ?
WHERE job = ? AND NOT EXISTS (SELECT 1 FROM job_runs WHERE job = ?)

-- name: job-fires-forget
DELETE FROM job_fires WHERE job = ?

-- name: job-runs-forget
DELETE FROM job_runs WHERE job = ?
