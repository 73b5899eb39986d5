-- The delivery ledger (deliveries.go).

-- name: deliveries-plan
-- Arguments: the issue twice, the Message-ID domain, the time, the cadence
-- of the subscribers it goes to (issue, or weekly for a weekly digest),
-- the issue again. A subscriber paused past the time the issue was made
-- gets no row: what was made while they paused is not sent to them.
INSERT INTO deliveries (issue_number, subscriber_id, email, status, message_id, updated_at)
SELECT ?, id, email, 'pending', printf('bulletin.%d.%d.%s@%s', ?, id, lower(hex(randomblob(6))), ?), ?
FROM subscribers WHERE status = 'confirmed' AND cadence = ?
    AND (paused_until IS NULL OR paused_until <= (SELECT created_at FROM issues WHERE number = ?))
ON CONFLICT (issue_number, subscriber_id) DO NOTHING

-- name: delivery-counts
-- From the running tally (0030_tallies.sql), not a count of the ledger.
SELECT status, n FROM delivery_tally WHERE issue_number = ? AND n <> 0

-- name: deliveries-list
-- Arguments: issue, status, after this subscriber id, confirmed subscribers
-- only, limit (-1 for all).
SELECT d.issue_number, d.subscriber_id, d.email, coalesce(s.name, ''), coalesce(s.status, ''), d.status,
    d.attempts, d.last_error, d.message_id, d.updated_at, d.sent_at
FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id
WHERE d.issue_number = ? AND d.status = ? AND d.subscriber_id > ?
    AND (? = 0 OR s.status = 'confirmed')
ORDER BY d.subscriber_id LIMIT ?

-- name: delivery-claim
-- Only the row still in the status it is claimed from: of two senders
-- claiming it, one changes it and the other changes nothing.
UPDATE deliveries SET status = 'sending', attempts = attempts + 1, updated_at = ?
WHERE issue_number = ? AND subscriber_id = ? AND status = ?

-- name: delivery-sent
-- Arguments: the time twice, issue, subscriber.
UPDATE deliveries SET status = 'sent', last_error = '', updated_at = ?, sent_at = ?
WHERE issue_number = ? AND subscriber_id = ?

-- name: delivery-release
UPDATE deliveries SET status = 'pending', last_error = ?, updated_at = ?
WHERE issue_number = ? AND subscriber_id = ? AND status <> 'sent'

-- name: delivery-fail
UPDATE deliveries SET status = 'failed', last_error = ?, updated_at = ?,
    attempts = attempts + CASE WHEN status = 'sending' THEN 0 ELSE 1 END
WHERE issue_number = ? AND subscriber_id = ? AND status <> 'sent'

-- name: subscriber-bounce
UPDATE subscribers SET status = 'bounced', updated_at = ? WHERE id = ? AND status = 'confirmed'

-- name: deliveries-forget
DELETE FROM deliveries WHERE issue_number = ?

-- name: ledger-begin
-- IMMEDIATE, as the store's other transactions: the write lock is taken at
-- once, and waited for (busy_timeout) if another process holds it.
BEGIN IMMEDIATE

-- name: ledger-commit
COMMIT

-- name: ledger-rollback
ROLLBACK

-- name: ledger-claim
-- A group's claims from one status: of the rows (a JSON array of
-- subscriber ids), those still in that status move to sending; their ids
-- are returned. (+status: the rows are found by their key, not by the
-- status index, which would walk every row still pending.)
UPDATE deliveries SET status = 'sending', attempts = attempts + 1, updated_at = ?
WHERE issue_number = ? AND +status = ? AND subscriber_id IN (SELECT value FROM json_each(?))
RETURNING subscriber_id

-- name: ledger-sent
-- A group's "sent" marks: the time twice, the issue, a JSON array of
-- subscriber ids.
UPDATE deliveries SET status = 'sent', last_error = '', updated_at = ?, sent_at = ?
WHERE issue_number = ? AND subscriber_id IN (SELECT value FROM json_each(?))

-- name: ledger-apply
-- Not run on SQLite: a group is ledger-begin, ledger-sent, ledger-claim
-- and ledger-commit, which cost no round trips here.
