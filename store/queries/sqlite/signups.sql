-- The queue of sign-ups waiting for a confirmation email (signups.go).

-- name: signups-count
-- The bound is on sign-ups; welcomes follow confirmations, which are bounded.
SELECT count(*) FROM signups WHERE kind = 'confirm'

-- name: signup-add
-- An address already waiting for the same kind of email keeps its row.
-- Arguments: kind (confirm or welcome), email, name, now, now.
INSERT INTO signups (kind, email, name, requested_at, next_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING

-- name: signups-due
-- Candidates for a claim, oldest first. Arguments: now, now, limit.
SELECT id FROM signups
WHERE next_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)
ORDER BY next_at, id LIMIT ?

-- name: signup-claim
-- Only a row no other worker claimed meanwhile. Arguments: holder, claim
-- end, id, now.
UPDATE signups SET claimed_by = ?, claimed_until = ?
WHERE id = ? AND (claimed_until IS NULL OR claimed_until <= ?)
RETURNING id, kind, email, name, requested_at, attempts

-- name: signup-done
DELETE FROM signups WHERE id = ? AND claimed_by = ?

-- name: signup-retry
-- Arguments: next attempt, id, holder.
UPDATE signups SET attempts = attempts + 1, next_at = ?, claimed_by = '', claimed_until = NULL
WHERE id = ? AND claimed_by = ?

-- name: signups-release
UPDATE signups SET claimed_by = '', claimed_until = NULL WHERE claimed_by = ?

-- name: signups-count-all
-- Every row, welcomes too: what waits in the queue.
SELECT count(*) FROM signups
