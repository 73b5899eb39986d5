-- What the desk's pages read, and the sources an editor paused (desk.go),
-- as queries/sqlite/desk.sql has them.

-- name: subscribers-page
-- Newest first, below an id (keyset paging). A forgotten subscriber's row
-- stays for the ledger, under an address that names no one: not listed.
-- Arguments: before id, limit.
SELECT id, email, name, status, created_at, updated_at, confirmed_at, confirm_sent_at, cadence, paused_until
FROM subscribers
WHERE id < $1 AND NOT (email LIKE 'forgotten-%@invalid')
ORDER BY id DESC LIMIT $2

-- name: subscribers-page-status
-- Arguments: status, before id, limit.
SELECT id, email, name, status, created_at, updated_at, confirmed_at, confirm_sent_at, cadence, paused_until
FROM subscribers
WHERE status = $1 AND id < $2 AND NOT (email LIKE 'forgotten-%@invalid')
ORDER BY id DESC LIMIT $3

-- name: subscribers-search
-- Addresses or names from $1 (included) to $2 (excluded), lower case, as
-- ranges of the unique index on lower(email COLLATE "C") and of
-- subscribers_name. Arguments: from, to, status ('' for all), before id,
-- limit.
SELECT id, email, name, status, created_at, updated_at, confirmed_at, confirm_sent_at, cadence, paused_until
FROM subscribers
WHERE id IN (
        SELECT id FROM subscribers WHERE lower(email COLLATE "C") >= $1 AND lower(email COLLATE "C") < $2
        UNION
        SELECT id FROM subscribers WHERE lower(name COLLATE "C") >= $1 AND lower(name COLLATE "C") < $2)
    AND ($3::text = '' OR status = $3) AND id < $4 AND NOT (email LIKE 'forgotten-%@invalid')
ORDER BY id DESC LIMIT $5

-- name: subscribers-search-domain
-- Addresses whose domain is from $1 to $2 (lower case). The domain itself
-- ($1, the usual search) is read newest first from subscribers_domain_id
-- (0030_tallies.sql), in the order of the page: it stops at the page's
-- end, however many addresses the domain has. Longer domains that start
-- with it (example.net.uk for example.net) are a range of the same index,
-- sorted: rarely many. The orders are written so that no plan, not even a
-- prepared statement's generic one, can take the primary key's order
-- instead and filter the whole table: the first is a range of one domain
-- (an equality would let the planner take the domain as fixed) in the
-- order of domain and id, which only that index gives; the second is
-- behind OFFSET 0. Arguments as subscribers-search's.
SELECT * FROM (
    SELECT id, email, name, status, created_at, updated_at, confirmed_at, confirm_sent_at, cadence, paused_until
    FROM subscribers
    WHERE lower(substr(email, strpos(email, '@') + 1) COLLATE "C") >= $1 AND lower(substr(email, strpos(email, '@') + 1) COLLATE "C") <= $1 AND ($3::text = '' OR status = $3) AND id < $4 AND NOT (email LIKE 'forgotten-%@invalid')
    ORDER BY lower(substr(email, strpos(email, '@') + 1) COLLATE "C") DESC, id DESC LIMIT $5) exact
UNION ALL
SELECT * FROM (
    SELECT * FROM (
        SELECT id, email, name, status, created_at, updated_at, confirmed_at, confirm_sent_at, cadence, paused_until
        FROM subscribers
        WHERE lower(substr(email, strpos(email, '@') + 1) COLLATE "C") > $1 AND lower(substr(email, strpos(email, '@') + 1) COLLATE "C") < $2 AND ($3::text = '' OR status = $3) AND id < $4 AND NOT (email LIKE 'forgotten-%@invalid')
        OFFSET 0) r
    ORDER BY id DESC LIMIT $5) longer
ORDER BY id DESC LIMIT $5

-- name: subscribers-growth
-- The growth chart's tallies (0030_tallies.sql: each the sum of its rows) from a UTC day
-- 'YYYY-MM-DD' on: the confirmations ('joined') and departures ('left') of
-- each day, and ('now', '') the confirmed subscribers now, read in one
-- statement so that they agree.
SELECT kind, day, sum(n)::bigint FROM subscriber_day_tally WHERE kind IN ('joined', 'left') AND day >= $1
GROUP BY kind, day HAVING sum(n) <> 0
UNION ALL
SELECT 'now', '', coalesce(sum(n), 0)::bigint FROM subscriber_tally WHERE status = 'confirmed'

-- name: subscriber-deliveries
SELECT d.issue_number, d.subscriber_id, d.email, coalesce(s.name, ''), coalesce(s.status, ''), d.status,
    d.attempts, d.last_error, d.message_id, d.updated_at, d.sent_at
FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id
WHERE d.subscriber_id = $1 ORDER BY d.issue_number DESC LIMIT $2

-- name: subscriber-bounces
SELECT e.issue_number, e.subscriber_id, coalesce(s.email, ''), e.kind, e.source, e.status, e.detail,
    e.reported_at, e.created_at
FROM bounce_events e LEFT JOIN subscribers s ON s.id = e.subscriber_id
WHERE e.subscriber_id = $1 ORDER BY e.id DESC LIMIT $2

-- name: source-articles
SELECT source, count(*), max(collected_at) FROM articles GROUP BY source

-- name: source-pause
INSERT INTO paused_sources (name, paused_at, paused_by) VALUES ($1, $2, $3)
ON CONFLICT (name) DO NOTHING

-- name: source-resume
DELETE FROM paused_sources WHERE name = $1

-- name: sources-paused
SELECT name, paused_at, paused_by FROM paused_sources ORDER BY name
