-- The queue of sign-ups waiting for a confirmation email (signups.go).

-- name: signups-count
-- The bound is on sign-ups; welcomes follow confirmations, which are bounded.
SELECT count(*) FROM signups WHERE kind = 'confirm'

-- name: signup-add
-- An address already waiting for the same kind of email keeps its row.
-- Arguments: kind (confirm or welcome), email, name, now, now.
INSERT INTO signups (kind, email, name, requested_at, next_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT DO NOTHING

-- name: signups-due
-- Candidates for a claim, oldest first. Arguments: now, now, limit.
SELECT id FROM signups
WHERE next_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $2)
ORDER BY next_at, id LIMIT $3

-- name: signup-claim
-- Only a row no other worker claimed meanwhile: of two workers claiming
-- it, the second waits on the first's row lock, then finds the claim and
-- changes nothing. Arguments: holder, claim end, id, now.
UPDATE signups SET claimed_by = $1, claimed_until = $2
WHERE id = $3 AND (claimed_until IS NULL OR claimed_until <= $4)
RETURNING id, kind, email, name, requested_at, attempts

-- name: signup-done
DELETE FROM signups WHERE id = $1 AND claimed_by = $2

-- name: signup-retry
-- Arguments: next attempt, id, holder.
UPDATE signups SET attempts = attempts + 1, next_at = $1, claimed_by = '', claimed_until = NULL
WHERE id = $2 AND claimed_by = $3

-- name: signups-release
UPDATE signups SET claimed_by = '', claimed_until = NULL WHERE claimed_by = $1

-- name: signups-count-all
-- Every row, welcomes too: what waits in the queue.
SELECT count(*) FROM signups
