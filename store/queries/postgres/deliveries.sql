-- The delivery ledger (deliveries.go).

-- name: deliveries-plan
-- Arguments: the issue twice, the Message-ID domain, the time, the cadence
-- of the subscribers it goes to (issue, or weekly for a weekly digest),
-- the issue again. A subscriber paused past the time the issue was made
-- gets no row: what was made while they paused is not sent to them. The random
-- part is the first 48 bits of a version 4 UUID (all of them random).
INSERT INTO deliveries (issue_number, subscriber_id, email, status, message_id, updated_at)
SELECT $1, id, email, 'pending',
    'bulletin.' || $2::integer || '.' || id || '.' || left(replace(gen_random_uuid()::text, '-', ''), 12) || '@' || $3::text,
    $4
FROM subscribers WHERE status = 'confirmed' AND cadence = $5
    AND (paused_until IS NULL OR paused_until <= (SELECT created_at FROM issues WHERE number = $6))
ON CONFLICT (issue_number, subscriber_id) DO NOTHING

-- name: delivery-counts
-- From the running tally (0030_tallies.sql: the sum of a few rows per
-- status), not a count of the ledger.
SELECT status, sum(n)::bigint FROM delivery_tally WHERE issue_number = $1 GROUP BY status HAVING sum(n) <> 0

-- name: deliveries-list
-- Arguments: issue, status, after this subscriber id, confirmed subscribers
-- only, limit (-1 for all). The join's own "s.id > $3" says nothing new,
-- but without it the planner merges with subscribers read from the first
-- id on: 30 ms instead of 0.3 for a page near the end of 100,000.
SELECT d.issue_number, d.subscriber_id, d.email, coalesce(s.name, ''), coalesce(s.status, ''), d.status,
    d.attempts, d.last_error, d.message_id, d.updated_at, d.sent_at
FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id AND s.id > $3
WHERE d.issue_number = $1 AND d.status = $2 AND d.subscriber_id > $3
    AND (NOT $4 OR s.status = 'confirmed')
ORDER BY d.subscriber_id LIMIT nullif($5::bigint, -1)

-- name: delivery-claim
-- Only the row still in the status it is claimed from. Of two senders
-- claiming it, the second waits on the first's row lock until it commits,
-- then finds the status changed and changes nothing.
UPDATE deliveries SET status = 'sending', attempts = attempts + 1, updated_at = $1
WHERE issue_number = $2 AND subscriber_id = $3 AND status = $4

-- name: delivery-sent
-- Arguments: the time twice, issue, subscriber.
UPDATE deliveries SET status = 'sent', last_error = '', updated_at = $1, sent_at = $2
WHERE issue_number = $3 AND subscriber_id = $4

-- name: delivery-release
UPDATE deliveries SET status = 'pending', last_error = $1, updated_at = $2
WHERE issue_number = $3 AND subscriber_id = $4 AND status <> 'sent'

-- name: delivery-fail
UPDATE deliveries SET status = 'failed', last_error = $1, updated_at = $2,
    attempts = attempts + CASE WHEN status = 'sending' THEN 0 ELSE 1 END
WHERE issue_number = $3 AND subscriber_id = $4 AND status <> 'sent'

-- name: subscriber-bounce
UPDATE subscribers SET status = 'bounced', updated_at = $1 WHERE id = $2 AND status = 'confirmed'

-- name: deliveries-forget
DELETE FROM deliveries WHERE issue_number = $1

-- name: ledger-begin
-- Read committed: each claim's UPDATE locks its row and checks its status
-- again once it has the lock (see delivery-claim).
BEGIN

-- name: ledger-commit
COMMIT

-- name: ledger-rollback
ROLLBACK

-- name: ledger-claim
-- A group's claims from one status ($3): of the rows ($4, subscriber ids),
-- those still in that status move to sending; their ids are returned. A
-- row another sender has locked is waited for and checked again, as in
-- delivery-claim.
UPDATE deliveries SET status = 'sending', attempts = attempts + 1, updated_at = $1
WHERE issue_number = $2 AND status = $3 AND subscriber_id = ANY($4::bigint[])
RETURNING subscriber_id

-- name: ledger-sent
-- A group's "sent" marks: the time twice, the issue, the subscriber ids.
UPDATE deliveries SET status = 'sent', last_error = '', updated_at = $1, sent_at = $2
WHERE issue_number = $3 AND subscriber_id = ANY($4::bigint[])

-- name: ledger-apply
-- A whole group in one statement, so in one round trip and in the
-- statement's own transaction: the "sent" marks ($3, subscriber ids) and
-- the claims ($4, subscriber ids, each claimed from the status at the
-- same place in $5). A claimed row moves to sending only if still in the
-- status it is claimed from; a row another sender has locked is waited
-- for and checked again, as in delivery-claim. No row is both marked and
-- claimed in one group (a worker's mark follows its claim's commit).
-- Returns the ids claimed. Arguments: the time, the issue, the marks, the
-- claims, their statuses.
UPDATE deliveries d SET
    status = CASE WHEN g.sent THEN 'sent' ELSE 'sending' END,
    attempts = d.attempts + CASE WHEN g.sent THEN 0 ELSE 1 END,
    last_error = CASE WHEN g.sent THEN '' ELSE d.last_error END,
    updated_at = $1,
    sent_at = CASE WHEN g.sent THEN $1 ELSE d.sent_at END
FROM (
    SELECT id, NULL::text AS from_status, true AS sent FROM unnest($3::bigint[]) AS m(id)
    UNION ALL
    SELECT id, from_status, false FROM unnest($4::bigint[], $5::text[]) AS c(id, from_status)
) g
WHERE d.issue_number = $2 AND d.subscriber_id = g.id AND (g.sent OR d.status = g.from_status)
RETURNING d.subscriber_id, NOT g.sent
