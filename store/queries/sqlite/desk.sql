-- What the desk's pages read, and the sources an editor paused (desk.go).

-- name: subscribers-page
-- Newest first, below an id (keyset paging). A forgotten subscriber's row
-- stays for the ledger, under an address that names no one: not listed.
-- Arguments: before id, limit.
SELECT id, email, name, status, created_at, updated_at, confirmed_at, confirm_sent_at, cadence, paused_until
FROM subscribers
WHERE id < ?1 AND NOT (email LIKE 'forgotten-%@invalid')
ORDER BY id DESC LIMIT ?2

-- name: subscribers-page-status
-- As subscribers-page, in one status: a range of subscribers_status.
-- Arguments: status, before id, limit.
SELECT id, email, name, status, created_at, updated_at, confirmed_at, confirm_sent_at, cadence, paused_until
FROM subscribers
WHERE status = ?1 AND id < ?2 AND NOT (email LIKE 'forgotten-%@invalid')
ORDER BY id DESC LIMIT ?3

-- name: subscribers-search
-- Addresses or names from ?1 (included) to ?2 (excluded), compared without
-- regard to ASCII case: a range of the email index and one of
-- subscribers_name. Arguments: from, to, status ('' for all), before id,
-- limit.
SELECT id, email, name, status, created_at, updated_at, confirmed_at, confirm_sent_at, cadence, paused_until
FROM subscribers
WHERE id IN (
        SELECT id FROM subscribers WHERE email >= ?1 AND email < ?2
        UNION
        SELECT id FROM subscribers WHERE name COLLATE NOCASE >= ?1 AND name COLLATE NOCASE < ?2)
    AND (?3 = '' OR status = ?3) AND id < ?4 AND NOT (email LIKE 'forgotten-%@invalid')
ORDER BY id DESC LIMIT ?5

-- name: subscribers-search-domain
-- Addresses whose domain is from ?1 to ?2 (lower case). The domain itself
-- (?1, the usual search) is read newest first from subscribers_domain (whose entries, as every SQLite index's, end with
-- the rowid, id), in the order
-- of the page: it stops at the page's end, however many addresses the
-- domain has. Longer domains that start with it (example.net.uk for
-- example.net) are a range of the same index, sorted: rarely many.
-- Arguments as subscribers-search's.
SELECT * FROM (
    SELECT id, email, name, status, created_at, updated_at, confirmed_at, confirm_sent_at, cadence, paused_until
    FROM subscribers
    WHERE lower(substr(email, instr(email, '@') + 1)) = ?1 AND (?3 = '' OR status = ?3) AND id < ?4 AND NOT (email LIKE 'forgotten-%@invalid')
    ORDER BY id DESC LIMIT ?5) exact
UNION ALL
SELECT * FROM (
    SELECT id, email, name, status, created_at, updated_at, confirmed_at, confirm_sent_at, cadence, paused_until
    FROM subscribers
    WHERE lower(substr(email, instr(email, '@') + 1)) > ?1 AND lower(substr(email, instr(email, '@') + 1)) < ?2 AND (?3 = '' OR status = ?3) AND id < ?4 AND NOT (email LIKE 'forgotten-%@invalid')
    ORDER BY id DESC LIMIT ?5) longer
ORDER BY id DESC LIMIT ?5

-- name: subscribers-growth
-- The growth chart's tallies (0030_tallies.sql) from a UTC day
-- 'YYYY-MM-DD' on: the confirmations ('joined') and departures ('left') of
-- each day, and ('now', '') the confirmed subscribers now, read in one
-- statement so that they agree.
SELECT kind, day, n FROM subscriber_day_tally WHERE kind IN ('joined', 'left') AND day >= ?1 AND n <> 0
UNION ALL
SELECT 'now', '', n FROM subscriber_tally WHERE status = 'confirmed'

-- name: subscriber-deliveries
-- A subscriber's ledger rows, newest issue first. Arguments: subscriber,
-- limit.
SELECT d.issue_number, d.subscriber_id, d.email, coalesce(s.name, ''), coalesce(s.status, ''), d.status,
    d.attempts, d.last_error, d.message_id, d.updated_at, d.sent_at
FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id
WHERE d.subscriber_id = ? ORDER BY d.issue_number DESC LIMIT ?

-- name: subscriber-bounces
-- A subscriber's bounces and complaints, newest first. Arguments:
-- subscriber, limit.
SELECT e.issue_number, e.subscriber_id, coalesce(s.email, ''), e.kind, e.source, e.status, e.detail,
    e.reported_at, e.created_at
FROM bounce_events e LEFT JOIN subscribers s ON s.id = e.subscriber_id
WHERE e.subscriber_id = ? ORDER BY e.id DESC LIMIT ?

-- name: source-articles
-- Each source's article count and latest collection.
SELECT source, count(*), max(collected_at) FROM articles GROUP BY source

-- name: source-pause
INSERT INTO paused_sources (name, paused_at, paused_by) VALUES (?, ?, ?)
ON CONFLICT (name) DO NOTHING

-- name: source-resume
DELETE FROM paused_sources WHERE name = ?

-- name: sources-paused
SELECT name, paused_at, paused_by FROM paused_sources ORDER BY name
