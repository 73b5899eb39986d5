-- A send divided among processes (sharing.go). SQLite sends from one
-- process at a time, under the send lease (Store.SharesSends is false), so
-- the statements of a shared send are not needed here; only the rate limit
-- is written for it, as the same table.

-- name: plan-lock
-- BEGIN IMMEDIATE serializes the planning already.

-- name: chunk-size
-- Not run on SQLite.

-- name: deliveries-analyze
-- Not run on SQLite.

-- name: chunks-plan
-- Not run on SQLite.

-- name: chunks-reopen
-- Not run on SQLite.

-- name: chunks-forget
DELETE FROM send_chunks WHERE issue_number = ?

-- name: chunk-gate
-- Not run on SQLite.

-- name: chunk-take
-- Not run on SQLite.

-- name: chunk-rows
-- Not run on SQLite.

-- name: chunk-pending
-- Not run on SQLite.

-- name: chunk-done
-- Not run on SQLite.

-- name: chunks-hold-all
-- Not run on SQLite: the send lease keeps a resend alone.

-- name: chunks-gate-close
-- Not run on SQLite.

-- name: pending-confirmed
SELECT count(*) FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
WHERE d.issue_number = ? AND d.status = 'pending' AND s.status = 'confirmed'

-- name: unconfirmed-settled
-- Rows left in "sending" in chunks that are done: no sender holds those,
-- so each is one whose server reply was lost. Argument: issue.
SELECT count(*) FROM deliveries d
JOIN send_chunks c ON c.issue_number = d.issue_number
    AND c.chunk = d.subscriber_id / (SELECT size FROM send_chunks WHERE issue_number = ?1 LIMIT 1)
WHERE d.issue_number = ?1 AND d.status = 'sending' AND c.done

-- name: rate-reserve
-- As in PostgreSQL, by this machine's clock (there is only one).
-- Arguments: now (microseconds), name, span.
INSERT INTO send_rates (name, next_us) VALUES (?2, ?1 + ?3)
ON CONFLICT (name) DO UPDATE SET next_us = max(next_us, ?1) + ?3
RETURNING next_us - ?3 - ?1
