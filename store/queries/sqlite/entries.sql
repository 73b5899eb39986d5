-- Digest entries and issues (entries.go). Lists of entries select the same
-- columns, newest article first (by publication when known); an issue's
-- entries come in the order its editor gave them, the lead story first
-- (review.go).

-- name: entry-save
INSERT INTO entries
    (article_id, content_hash, summary, teaser, method, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (article_id) DO UPDATE SET content_hash = excluded.content_hash,
    summary = excluded.summary, teaser = excluded.teaser, method = excluded.method,
    -- Feeds show updated_at: it moves only when what readers see does.
    updated_at = CASE WHEN entries.summary != excluded.summary OR entries.teaser != excluded.teaser
        THEN excluded.updated_at ELSE entries.updated_at END

-- name: entries-unissued
SELECT e.id, e.article_id, a.key, a.title, a.url, a.author, a.source, a.published_at,
    e.summary, e.teaser, e.method, e.content_hash, coalesce(e.issue_number, 0), e.created_at, e.updated_at,
    e.is_lead, coalesce(e.edited_title, ''), coalesce(e.edited_summary, '')
FROM entries e JOIN articles a ON a.id = e.article_id
WHERE e.issue_number IS NULL AND e.duplicate_of IS NULL AND a.seeded = 0
ORDER BY coalesce(a.published_at, a.collected_at) DESC, e.id DESC

-- name: entry-mark-duplicate
UPDATE entries SET duplicate_of = ? WHERE id = ? AND issue_number IS NULL

-- name: issue-lock
-- Nothing to do: the transaction holds the write lock already, so no one
-- else numbers an issue meanwhile.

-- name: issue-next-number
SELECT coalesce(max(number), 0) + 1 FROM issues

-- name: issue-insert
-- Arguments: number, title, created, state, send_at (NULL for a draft).
INSERT INTO issues (number, title, created_at, state, send_at) VALUES (?, ?, ?, ?, ?)

-- name: entry-take
UPDATE entries SET issue_number = ? WHERE id = ? AND issue_number IS NULL

-- name: issue-get
SELECT number, title, created_at, state, send_at, sent_at, send_error, subject, intro, edited_at
FROM issues WHERE number = ?

-- name: issue-entries
SELECT e.id, e.article_id, a.key, a.title, a.url, a.author, a.source, a.published_at,
    e.summary, e.teaser, e.method, e.content_hash, coalesce(e.issue_number, 0), e.created_at, e.updated_at,
    e.is_lead, coalesce(e.edited_title, ''), coalesce(e.edited_summary, '')
FROM entries e JOIN articles a ON a.id = e.article_id
WHERE e.issue_number = ?
ORDER BY e.is_lead DESC, coalesce(e.position, 0), coalesce(a.published_at, a.collected_at) DESC, e.id DESC

-- name: issue-duplicates
-- The other reports of the stories of issue ?.
SELECT e.duplicate_of, a.title, a.url, a.source
FROM entries e JOIN articles a ON a.id = e.article_id
WHERE e.duplicate_of IN (SELECT id FROM entries WHERE issue_number = ?)
ORDER BY a.collected_at, e.id

-- name: issue-latest-number
SELECT coalesce(max(number), 0) FROM issues

-- name: issue-numbers
-- The published issues: a draft or a scheduled one is in no feed or page.
SELECT number FROM issues WHERE state IN ('sending', 'sent') ORDER BY number DESC LIMIT ?

-- name: entries-issued
SELECT e.id, e.article_id, a.key, a.title, a.url, a.author, a.source, a.published_at,
    e.summary, e.teaser, e.method, e.content_hash, coalesce(e.issue_number, 0), e.created_at, e.updated_at,
    e.is_lead, coalesce(e.edited_title, ''), coalesce(e.edited_summary, '')
FROM entries e JOIN articles a ON a.id = e.article_id
WHERE e.issue_number IS NOT NULL
ORDER BY coalesce(a.published_at, a.collected_at) DESC, e.id DESC
LIMIT ?

-- name: published-version
-- What the feeds and pages show: the published issues and their entries.
SELECT
    (SELECT count(*) FROM issues WHERE state IN ('sending', 'sent')),
    (SELECT count(*) FROM entries e JOIN issues i ON i.number = e.issue_number WHERE i.state IN ('sending', 'sent')),
    (SELECT count(*) FROM entries WHERE duplicate_of IS NOT NULL),
    (SELECT max(e.updated_at) FROM entries e JOIN issues i ON i.number = e.issue_number WHERE i.state IN ('sending', 'sent'))
