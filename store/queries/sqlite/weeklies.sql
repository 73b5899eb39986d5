-- Weekly digests (weeklies.go): each covers the issues made in the week
-- before it that no earlier digest covered.

-- name: weekly-last-covered
SELECT coalesce(max(last_issue), 0) FROM weeklies

-- name: weekly-span
-- The issues a new digest covers: released, after the last one covered,
-- made in its week. Arguments: the last issue covered, the week's start and end.
SELECT coalesce(min(number), 0), coalesce(max(number), 0) FROM issues
WHERE number > ? AND created_at >= ? AND created_at <= ?
    AND state IN ('sending', 'sent')

-- name: weekly-next-number
SELECT coalesce(min(number), 0) - 1 FROM issues WHERE number < 0

-- name: weekly-insert
INSERT INTO weeklies (number, first_issue, last_issue) VALUES (?, ?, ?)

-- name: weekly-get
SELECT w.number, i.title, i.created_at, w.first_issue, w.last_issue
FROM weeklies w JOIN issues i ON i.number = w.number WHERE w.number = ?

-- name: weekly-latest-number
SELECT coalesce(min(number), 0) FROM weeklies
