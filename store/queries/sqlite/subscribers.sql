-- Subscribers (subscribers.go). Addresses compare without regard to ASCII
-- case: the column is COLLATE NOCASE.

-- name: subscriber-add
INSERT INTO subscribers (email, name, status, created_at, updated_at, confirmed_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (email) DO NOTHING

-- name: subscriber-by-email
SELECT id, email, name, status, created_at, updated_at, confirmed_at, confirm_sent_at,
    cadence, paused_until
FROM subscribers WHERE email = ?

-- name: subscriber-by-id
SELECT id, email, name, status, created_at, updated_at, confirmed_at, confirm_sent_at,
    cadence, paused_until
FROM subscribers WHERE id = ?

-- name: subscribers-list
-- With status '' (the first two arguments), every status.
SELECT id, email, name, status, created_at, updated_at, confirmed_at, confirm_sent_at,
    cadence, paused_until
FROM subscribers
WHERE (? = '' OR status = ?) AND id > ?
ORDER BY id LIMIT ?

-- name: subscribers-count
-- From the running tally (0030_tallies.sql), not a count of the table.
SELECT status, n FROM subscriber_tally WHERE n <> 0

-- name: subscriber-set-status
-- The last five arguments are the statuses it may move from.
UPDATE subscribers SET status = ?, updated_at = ?,
    confirmed_at = CASE WHEN ? = 'confirmed' THEN ? ELSE confirmed_at END
WHERE id = ? AND status <> ? AND status IN (?, ?, ?, ?, ?)

-- name: subscriber-confirmation-sent
UPDATE subscribers SET confirm_sent_at = ? WHERE id = ?

-- name: subscriber-for-removal
-- The transaction holds the write lock already.
SELECT id FROM subscribers WHERE email = ?

-- name: subscriber-forget
-- The row stays, for the ledger's rows that point at it, under an address
-- that is unique and undeliverable (store.ForgottenEmail).
UPDATE subscribers SET email = ?, name = '', status = 'unsubscribed', updated_at = ?
WHERE id = ?

-- name: deliveries-erase-address
-- Errors may quote the address: they go with it.
UPDATE deliveries SET email = ?, last_error = '' WHERE subscriber_id = ?

-- name: suppression-add
INSERT INTO suppressions (key, created_at) VALUES (?, ?)
ON CONFLICT (key) DO NOTHING

-- name: suppression-find
SELECT count(*) FROM suppressions WHERE key = ?

-- name: subscribers-import
-- A batch of new subscribers in one statement: the last argument is a JSON
-- array of [email, name, status] rows; the first three are the time, for
-- created_at, updated_at and (confirmed rows) confirmed_at. Known addresses
-- are left alone. (WHERE true: an upsert after a SELECT needs a WHERE.)
INSERT INTO subscribers (email, name, status, created_at, updated_at, confirmed_at)
SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, ?, ?, CASE WHEN j.value ->> 2 = 'confirmed' THEN ? END
FROM json_each(?) AS j WHERE true
ON CONFLICT (email) DO NOTHING

-- name: subscribers-bulk-extent
-- How many subscribers there are, and the largest id: the rows an import
-- adds in its transaction, the only writer, are those after it.
SELECT coalesce((SELECT sum(n) FROM subscriber_tally), 0), coalesce((SELECT max(id) FROM subscribers), 0)

-- name: subscribers-bulk-held
-- What a large import sets aside until its last row is in (the statement
-- below): the desk's search indexes, then built once from sorted keys
-- instead of updated at a random place for every row, and the tallies'
-- insert trigger, then counted once, by subscribers-bulk-tally. Their
-- definitions, as the schema holds them, to put them back as they were.
SELECT sql FROM sqlite_master
WHERE tbl_name = 'subscribers' AND name IN ('subscribers_name', 'subscribers_domain', 'subscribers_tally_insert')

-- name: subscribers-bulk-hold
DROP INDEX subscribers_name;
DROP INDEX subscribers_domain;
DROP TRIGGER subscribers_tally_insert;

-- name: subscribers-bulk-tally
-- The subscribers after the id given (subscribers-bulk-extent's), counted
-- into the tallies by the keys the insert trigger counts them by
-- (0030_tallies.sql), as one statement per tally instead of three a row.
INSERT INTO subscriber_tally (status, n)
SELECT status, count(*) FROM subscribers WHERE id > ?1 GROUP BY status
ON CONFLICT (status) DO UPDATE SET n = n + excluded.n;
INSERT INTO subscriber_day_tally (kind, day, n)
SELECT kind, day, n FROM (
    SELECT 'joined' AS kind, substr(confirmed_at, 1, 10) AS day, count(*) AS n
    FROM subscribers WHERE id > ?1 AND confirmed_at IS NOT NULL GROUP BY 2
    UNION ALL
    SELECT 'left', substr(updated_at, 1, 10), count(*)
    FROM subscribers
    WHERE id > ?1 AND status IN ('unsubscribed', 'bounced', 'complained') AND confirmed_at IS NOT NULL
    GROUP BY 2
) WHERE true
ON CONFLICT (kind, day) DO UPDATE SET n = n + excluded.n;

-- name: suppressions-any
SELECT EXISTS (SELECT 1 FROM suppressions)

-- name: suppressions-among
-- The suppression keys, of a JSON array of keys, that are suppressed.
SELECT key FROM suppressions WHERE key IN (SELECT value FROM json_each(?))

-- name: subscriber-widths
-- The widest address, name and status, in characters, of a listing (with
-- status '', every status).
SELECT coalesce(max(length(email)), 0), coalesce(max(length(name)), 0), coalesce(max(length(status)), 0)
FROM subscribers WHERE (? = '' OR status = ?)

-- name: subscriber-set-preferences
-- What the reader chose on the preferences page: a change of cadence or a
-- pause is no change of state, so updated_at (which confirmation links
-- are stamped with) stays. Arguments: cadence, paused until (NULL: not
-- paused), id.
UPDATE subscribers SET cadence = ?, paused_until = ? WHERE id = ?
