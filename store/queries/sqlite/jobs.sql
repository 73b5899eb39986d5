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
-- And whether a claim of it is open: unconfirmed, whether it still holds
-- (its claimer may have died) or was let go of or ran out. Arguments:
-- job, the end of time (a confirmed claim's claim_until).
SELECT done_upto, claim_holder IS NOT NULL AND claim_until < ?2 FROM job_fires WHERE job = ?1

-- name: job-fire-claim
-- Moves the job's fire time forward only: fixed-width UTC text compares
-- like the times it holds.
INSERT INTO job_fires (job, done_upto) VALUES (?, ?)
ON CONFLICT (job) DO UPDATE SET done_upto = excluded.done_upto, claim_holder = NULL, claim_until = NULL
WHERE excluded.done_upto > job_fires.done_upto

-- name: job-fire-claim-for
-- A claim for holder that holds until claim_until unless confirmed: of a
-- later fire time, or of the same one again when its claim is holder's own
-- (confirmed or not: holder alone knows whether its run began) or was let
-- go of or ran out unconfirmed. Arguments: job, fire time, holder,
-- claim_until, now.
INSERT INTO job_fires (job, done_upto, claim_holder, claim_until) VALUES (?, ?, ?, ?)
ON CONFLICT (job) DO UPDATE SET done_upto = excluded.done_upto, claim_holder = excluded.claim_holder,
    claim_until = excluded.claim_until
WHERE excluded.done_upto > job_fires.done_upto
    OR (excluded.done_upto = job_fires.done_upto AND job_fires.claim_holder IS NOT NULL
        AND (job_fires.claim_holder = excluded.claim_holder OR job_fires.claim_until <= ?))

-- name: job-fire-held
-- Another holder's unconfirmed claim of the fire, and until when it holds.
-- Arguments: job, fire time, holder, the end of time.
SELECT claim_holder, claim_until FROM job_fires
WHERE job = ? AND done_upto = ? AND claim_holder <> ? AND claim_until < ?

-- name: job-fire-confirm
-- Holder, under the job's lease, begins the run: the fire is taken care
-- of, its claim holds until the end of time. It takes over a claim of the
-- fire that is unconfirmed (one made after holder's ran out: that claimer
-- finds the lease taken and leaves the run to holder), not a confirmed
-- one (that run has been made). It still names holder, so that a confirm
-- whose reply was lost can be made again, and holder may claim the fire
-- again to run it (job-fire-claim-for). Arguments: job, fire time,
-- holder, the end of time.
UPDATE job_fires SET claim_holder = ?3, claim_until = ?4
WHERE job = ?1 AND done_upto = ?2 AND claim_holder IS NOT NULL
    AND (claim_holder = ?3 OR claim_until < ?4)

-- name: job-fire-leave
-- Holder found the job's lease (named as the job) taken by another: the
-- fire is that holder's to run, or to count as done by the run it has
-- under way, and holder's claim is confirmed in its name. Arguments: job,
-- fire time, holder, the end of time.
UPDATE job_fires SET claim_holder = (SELECT holder FROM locks WHERE name = ?1), claim_until = ?4
WHERE job = ?1 AND done_upto = ?2 AND claim_holder = ?3
    AND EXISTS (SELECT 1 FROM locks WHERE name = ?1 AND holder <> ?3)

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
