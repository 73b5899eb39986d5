-- Bounces and complaints after the send (bounces.go).

-- name: bounce-delivery
-- The subscriber of a delivery row, in the transaction that records a
-- report on it (which holds the write lock already).
SELECT s.id, s.email, s.status
FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
WHERE d.issue_number = ? AND d.subscriber_id = ?

-- name: bounce-insert
-- Nothing when the report was recorded before.
INSERT INTO bounce_events (issue_number, subscriber_id, kind, source, report_id, status, detail, reported_at, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (report_id) DO NOTHING

-- name: bounce-soft-streak
-- The subscriber's deliveries up to the issue, newest first, each with
-- whether a soft bounce was reported on it. Arguments: subscriber, issue,
-- how many.
SELECT d.issue_number, EXISTS (
    SELECT 1 FROM bounce_events e
    WHERE e.issue_number = d.issue_number AND e.subscriber_id = d.subscriber_id AND e.kind = 'soft')
FROM deliveries d
WHERE d.subscriber_id = ? AND d.issue_number <= ? AND d.status IN ('sent', 'sending')
ORDER BY d.issue_number DESC LIMIT ?

-- name: subscriber-complain
UPDATE subscribers SET status = 'complained', updated_at = ? WHERE id = ? AND status <> 'complained'

-- name: delivery-get
SELECT d.issue_number, d.subscriber_id, d.email, coalesce(s.name, ''), coalesce(s.status, ''), d.status,
    d.attempts, d.last_error, d.message_id, d.updated_at, d.sent_at
FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id
WHERE d.issue_number = ? AND d.subscriber_id = ?

-- name: delivery-by-message-id
SELECT d.issue_number, d.subscriber_id, d.email, coalesce(s.name, ''), coalesce(s.status, ''), d.status,
    d.attempts, d.last_error, d.message_id, d.updated_at, d.sent_at
FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id
WHERE d.message_id = ?

-- name: delivery-latest-to
-- The latest message that went to an address (the subscriber's now).
SELECT d.issue_number, d.subscriber_id, d.email, s.name, s.status, d.status,
    d.attempts, d.last_error, d.message_id, d.updated_at, d.sent_at
FROM subscribers s JOIN deliveries d ON d.subscriber_id = s.id
WHERE s.email = ? AND d.status IN ('sent', 'sending')
ORDER BY d.issue_number DESC LIMIT 1

-- name: bounce-counts
SELECT kind, count(*) FROM bounce_events WHERE issue_number = ? GROUP BY kind

-- name: bounces-recent
SELECT e.issue_number, e.subscriber_id, coalesce(s.email, ''), e.kind, e.source, e.status, e.detail,
    e.reported_at, e.created_at
FROM bounce_events e LEFT JOIN subscribers s ON s.id = e.subscriber_id
ORDER BY e.id DESC LIMIT ?

-- name: bounces-last
-- Each subscriber's latest report and how many there are, for the
-- subscribers whose id is in (from, to].
SELECT e.subscriber_id, e.issue_number, e.kind, e.source, e.status, e.detail, e.reported_at, e.created_at,
    (SELECT count(*) FROM bounce_events c WHERE c.subscriber_id = e.subscriber_id)
FROM bounce_events e
WHERE e.subscriber_id > ? AND e.subscriber_id <= ?
    AND e.id = (SELECT max(m.id) FROM bounce_events m WHERE m.subscriber_id = e.subscriber_id)

-- name: bounce-events-erase
-- What the servers said may quote the address: it goes with it.
UPDATE bounce_events SET detail = '' WHERE subscriber_id = ?
