-- The queue of sign-ups waiting for a confirmation email (signups.go).

-- name: signups-count
SELECT count(*) FROM signups

-- name: signup-add
-- An address already waiting keeps its row. Arguments: email, name, now,
-- now.
INSERT INTO signups (email, name, requested_at, next_at) VALUES (?, ?, ?, ?)
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
RETURNING id, email, name, requested_at, attempts

-- name: signup-done
DELETE FROM signups WHERE id = ? AND claimed_by = ?

-- name: signup-retry
-- Arguments: next attempt, id, holder.
UPDATE signups SET attempts = attempts + 1, next_at = ?, claimed_by = '', claimed_until = NULL
WHERE id = ? AND claimed_by = ?

-- name: signups-release
UPDATE signups SET claimed_by = '', claimed_until = NULL WHERE claimed_by = ?
