-- A send divided among processes, and their one rate limit (sharing.go).

-- name: plan-lock
-- Planning an issue's rows is done by one sender at a time: senders that
-- start together would otherwise insert the same rows in different orders
-- and deadlock. Held to the end of the transaction.
SELECT pg_advisory_xact_lock(1651076206, $1::integer)

-- name: chunk-size
-- The width of the issue's chunks (-1 if it has none yet), and the span
-- of its ledger's subscriber ids (0 if it has no rows): both from an
-- index's ends. Argument: issue.
SELECT coalesce((SELECT size FROM send_chunks WHERE issue_number = $1 LIMIT 1), -1),
    coalesce(max(subscriber_id) - min(subscriber_id) + 1, 0)
FROM deliveries WHERE issue_number = $1

-- name: deliveries-analyze
-- After a planning that added many rows: until the ledger's statistics
-- count them, the planner takes the issue's pending rows for a few, and
-- a chunk's count of them read every one (5 to 75 ms a chunk at 100,000,
-- until autovacuum analyzed the table). A sample, not a read of the
-- table; it waits for no writer.
ANALYZE deliveries

-- name: chunks-plan
-- A chunk for every chunk of subscriber ids ($2 a chunk) that has pending
-- rows. Arguments: issue, chunk size. DO NOTHING waits for no lock.
INSERT INTO send_chunks (issue_number, chunk, size, done)
SELECT DISTINCT $1::integer, subscriber_id / $2::bigint, $2::bigint, false
FROM deliveries WHERE issue_number = $1::integer AND status = 'pending'
ON CONFLICT (issue_number, chunk) DO NOTHING

-- name: chunks-reopen
-- Chunks done before that have pending rows again (subscribers added
-- since, a ledger forgotten). A done chunk is held by no one: senders take
-- only chunks not done. Arguments: issue, chunk size.
UPDATE send_chunks c SET done = false
WHERE c.issue_number = $1::integer AND c.done AND EXISTS (
    SELECT 1 FROM deliveries d
    WHERE d.issue_number = $1::integer AND d.status = 'pending'
        AND d.subscriber_id >= c.chunk * $2::bigint AND d.subscriber_id < (c.chunk + 1) * $2::bigint)

-- name: chunks-forget
DELETE FROM send_chunks WHERE issue_number = $1

-- name: chunk-gate
-- Taken in each chunk's transaction before the chunk: a shared lock on
-- the issue's gate, which a resend holds exclusively for its whole run
-- (chunks-gate-close). False while a resend runs: no chunk is taken then,
-- not even one planned after the resend began. Argument: issue.
SELECT pg_try_advisory_xact_lock_shared(1651076207, $1::integer)

-- name: chunk-take
-- The first chunk not done after $2 and not among $3 that no other sender
-- holds, locked until the transaction ends. Arguments: issue, after,
-- chunks to leave out.
SELECT chunk, size FROM send_chunks
WHERE issue_number = $1 AND NOT done AND chunk > $2 AND chunk <> ALL($3::bigint[])
ORDER BY chunk LIMIT 1
FOR UPDATE SKIP LOCKED

-- name: chunk-rows
-- A chunk's rows still to settle, pending or sending, in id order.
-- Arguments: issue, first id, end id. Bounded on both sides, in the
-- subscribers' join too: read from its first id to the ledger's end, the
-- "sending" rows of a chunk halfway through 100,000 took 12 ms.
SELECT d.issue_number, d.subscriber_id, d.email, coalesce(s.name, ''), coalesce(s.status, ''), d.status,
    d.attempts, d.last_error, d.message_id, d.updated_at, d.sent_at
FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id AND s.id >= $2::bigint AND s.id < $3::bigint
WHERE d.issue_number = $1 AND d.status IN ('pending', 'sending')
    AND d.subscriber_id >= $2::bigint AND d.subscriber_id < $3::bigint
ORDER BY d.subscriber_id

-- name: chunk-pending
-- Rows of confirmed subscribers still pending in a chunk. Arguments:
-- issue, chunk, chunk size.
SELECT count(*) FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
    AND s.id >= $2::bigint * $3::bigint AND s.id < ($2::bigint + 1) * $3::bigint
WHERE d.issue_number = $1 AND d.status = 'pending' AND s.status = 'confirmed'
    AND d.subscriber_id >= $2::bigint * $3::bigint AND d.subscriber_id < ($2::bigint + 1) * $3::bigint

-- name: chunk-done
-- Arguments: done, issue, chunk.
UPDATE send_chunks SET done = $1 WHERE issue_number = $2 AND chunk = $3

-- name: chunks-hold-all
-- Every chunk of the issue, for a send that must be alone (a resend):
-- fails at once (55P03) if a sender holds one.
SELECT chunk FROM send_chunks WHERE issue_number = $1 FOR UPDATE NOWAIT

-- name: chunks-gate-close
-- The issue's gate, exclusively, for a resend's whole run: false while
-- a sender holds a chunk (chunk-gate), and while it is held no sender
-- takes one, not even of a chunk planned after it. Argument: issue.
SELECT pg_try_advisory_xact_lock(1651076207, $1::integer)

-- name: pending-confirmed
SELECT count(*) FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
WHERE d.issue_number = $1 AND d.status = 'pending' AND s.status = 'confirmed'

-- name: unconfirmed-settled
-- Rows left in "sending" in chunks that are done: no sender holds those,
-- so each is one whose server reply was lost. Argument: issue.
SELECT count(*) FROM deliveries d
JOIN send_chunks c ON c.issue_number = d.issue_number
    AND c.chunk = d.subscriber_id / (SELECT size FROM send_chunks WHERE issue_number = $1 LIMIT 1)
WHERE d.issue_number = $1 AND d.status = 'sending' AND c.done

-- name: rate-reserve
-- Takes the next $2 microseconds of the rate $1 stands for, from its
-- first free moment or from now, whichever is later; returns how many
-- microseconds from now they start. The row's lock makes senders take
-- their spans one after another. Arguments: name, span.
WITH t AS MATERIALIZED (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS now_us)
INSERT INTO send_rates AS r (name, next_us) SELECT $1, t.now_us + $2::bigint FROM t
ON CONFLICT (name) DO UPDATE SET next_us = greatest(r.next_us, (SELECT now_us FROM t)) + $2::bigint
RETURNING r.next_us - $2::bigint - (SELECT now_us FROM t)
