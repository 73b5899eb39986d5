-- Subscribers (subscribers.go). Addresses compare without regard to ASCII
-- case, as in SQLite (COLLATE NOCASE): lower() under the "C" collation
-- folds A-Z only, whatever the database's locale, and the unique index
-- subscribers_email is on that expression.

-- name: subscriber-add
INSERT INTO subscribers (email, name, status, created_at, updated_at, confirmed_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT ((lower(email COLLATE "C"))) DO NOTHING

-- name: subscriber-by-email
SELECT id, email, name, status, created_at, updated_at, confirmed_at, confirm_sent_at,
    cadence, paused_until
FROM subscribers WHERE lower(email COLLATE "C") = lower($1 COLLATE "C")

-- name: subscriber-by-id
SELECT id, email, name, status, created_at, updated_at, confirmed_at, confirm_sent_at,
    cadence, paused_until
FROM subscribers WHERE id = $1

-- name: subscribers-list
-- With status '' ($1 and $2), every status. A limit of -1 is no limit.
SELECT id, email, name, status, created_at, updated_at, confirmed_at, confirm_sent_at,
    cadence, paused_until
FROM subscribers
WHERE ($1 = '' OR status = $2) AND id > $3
ORDER BY id LIMIT nullif($4::bigint, -1)

-- name: subscribers-count
-- From the running tally (0030_tallies.sql: the sum of a few rows per
-- status), not a count of the table.
SELECT status, sum(n)::bigint FROM subscriber_tally GROUP BY status HAVING sum(n) <> 0

-- name: subscriber-set-status
-- $7 to $11 are the statuses it may move from.
UPDATE subscribers SET status = $1, updated_at = $2,
    confirmed_at = CASE WHEN $3 = 'confirmed' THEN $4::timestamptz ELSE confirmed_at END
WHERE id = $5 AND status <> $6 AND status IN ($7, $8, $9, $10, $11)

-- name: subscriber-confirmation-sent
UPDATE subscribers SET confirm_sent_at = $1 WHERE id = $2

-- name: subscriber-for-removal
-- Locks the subscriber: a send planning its ledger meanwhile waits, then
-- finds no one to plan for.
SELECT id FROM subscribers WHERE lower(email COLLATE "C") = lower($1 COLLATE "C") FOR UPDATE

-- name: subscriber-forget
-- The row stays, for the ledger's rows that point at it, under an address
-- that is unique and undeliverable (store.ForgottenEmail).
UPDATE subscribers SET email = $1, name = '', status = 'unsubscribed', updated_at = $2
WHERE id = $3

-- name: deliveries-erase-address
-- Errors may quote the address: they go with it.
UPDATE deliveries SET email = $1, last_error = '' WHERE subscriber_id = $2

-- name: suppression-add
INSERT INTO suppressions (key, created_at) VALUES ($1, $2)
ON CONFLICT (key) DO NOTHING

-- name: suppression-find
SELECT count(*) FROM suppressions WHERE key = $1

-- name: subscribers-import
-- A batch of new subscribers in one statement: $1, $2 and $3 are arrays of
-- addresses, names and statuses, $4 the time. Known addresses are left
-- alone.
INSERT INTO subscribers (email, name, status, created_at, updated_at, confirmed_at)
SELECT r.email, r.name, r.status, $4, $4, CASE WHEN r.status = 'confirmed' THEN $4::timestamptz END
FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS r(email, name, status, n)
ORDER BY r.n
ON CONFLICT ((lower(email COLLATE "C"))) DO NOTHING

-- name: subscribers-bulk-extent
-- SQLite's alone: there, a large import sets the desk's search indexes and
-- the tallies' row trigger aside. PostgreSQL's tally triggers run once a
-- statement, a batch of 1,000 rows (0030_tallies.sql), and nothing is set
-- aside.

-- name: subscribers-bulk-held

-- name: subscribers-bulk-hold

-- name: subscribers-bulk-tally

-- name: suppressions-any
SELECT EXISTS (SELECT 1 FROM suppressions)

-- name: suppressions-among
-- The suppression keys, of the array $1, that are suppressed.
SELECT key FROM suppressions WHERE key = ANY($1::text[])

-- name: subscriber-widths
-- The widest address, name and status, in characters, of a listing (with
-- status '', every status).
SELECT coalesce(max(length(email)), 0), coalesce(max(length(name)), 0), coalesce(max(length(status)), 0)
FROM subscribers WHERE ($1 = '' OR status = $2)

-- name: subscriber-set-preferences
-- What the reader chose on the preferences page: a change of cadence or a
-- pause is no change of state, so updated_at (which confirmation links
-- are stamped with) stays. Arguments: cadence, paused until (NULL: not
-- paused), id.
UPDATE subscribers SET cadence = $1, paused_until = $2 WHERE id = $3
