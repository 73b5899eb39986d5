-- Digest entries and issues (entries.go). Lists of entries select the same
-- columns, newest article first (by publication when known); an issue's
-- entries come in the order its editor gave them, the lead story first
-- (review.go).

-- name: entry-save
INSERT INTO entries
    (article_id, content_hash, summary, teaser, method, created_at, updated_at, names)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (article_id) DO UPDATE SET content_hash = excluded.content_hash,
    summary = excluded.summary, teaser = excluded.teaser, method = excluded.method, names = excluded.names,
    -- Feeds show updated_at: it moves only when what readers see does.
    updated_at = CASE WHEN entries.summary <> excluded.summary OR entries.teaser <> excluded.teaser
        THEN excluded.updated_at ELSE entries.updated_at END

-- name: entries-unissued
SELECT e.id, e.article_id, a.key, a.title, a.url, a.author, a.source, a.published_at,
    e.summary, e.teaser, e.method, e.content_hash, coalesce(e.issue_number, 0), e.created_at, e.updated_at,
    e.is_lead, coalesce(e.edited_title, ''), coalesce(e.edited_summary, ''), coalesce(e.feed_seq, 0),
    a.image_url, a.image_width, a.image_height, a.image_alt,
    e.names, coalesce(e.story_id, 0), coalesce(e.earlier_id, 0), coalesce(pe.edited_title, pa.title, ''), coalesce(pe.issue_number, 0),
    coalesce(pa.key, ''), coalesce(pe.edited_summary, pe.summary, '')
FROM entries e JOIN articles a ON a.id = e.article_id
LEFT JOIN entries pe ON pe.id = e.earlier_id LEFT JOIN articles pa ON pa.id = pe.article_id
WHERE e.issue_number IS NULL AND e.duplicate_of IS NULL AND e.dropped_at IS NULL AND NOT a.seeded
ORDER BY coalesce(a.published_at, a.collected_at) DESC, e.id DESC

-- name: entry-mark-duplicate
-- updated_at moves: the story's entry shows another report, which the next
-- publish must see (feed-changes).
UPDATE entries SET duplicate_of = $1, updated_at = $2 WHERE id = $3 AND issue_number IS NULL

-- name: issue-lock
-- Numbers are max + 1: one process at a time numbers an issue. Readers of
-- issues go on meanwhile.
LOCK TABLE issues IN EXCLUSIVE MODE

-- name: issue-next-number
-- Weekly digests are numbered below 0 (weeklies.go).
SELECT coalesce(max(number), 0) + 1 FROM issues WHERE number > 0

-- name: issue-insert
-- Arguments: number, title, created, state, send_at (NULL for a draft).
INSERT INTO issues (number, title, created_at, state, send_at) VALUES ($1, $2, $3, $4, $5)

-- name: entry-take
-- Arguments: issue, position (the entry's place by importance, from 1), id.
UPDATE entries SET issue_number = $1, position = $2 WHERE id = $3 AND issue_number IS NULL

-- name: issue-get
SELECT number, title, created_at, state, send_at, sent_at, send_error, subject, intro, edited_at
FROM issues WHERE number = $1

-- name: issue-entries
SELECT e.id, e.article_id, a.key, a.title, a.url, a.author, a.source, a.published_at,
    e.summary, e.teaser, e.method, e.content_hash, coalesce(e.issue_number, 0), e.created_at, e.updated_at,
    e.is_lead, coalesce(e.edited_title, ''), coalesce(e.edited_summary, ''), coalesce(e.feed_seq, 0),
    a.image_url, a.image_width, a.image_height, a.image_alt,
    e.names, coalesce(e.story_id, 0), coalesce(e.earlier_id, 0), coalesce(pe.edited_title, pa.title, ''), coalesce(pe.issue_number, 0),
    coalesce(pa.key, ''), coalesce(pe.edited_summary, pe.summary, '')
FROM entries e JOIN articles a ON a.id = e.article_id
LEFT JOIN entries pe ON pe.id = e.earlier_id LEFT JOIN articles pa ON pa.id = pe.article_id
WHERE e.issue_number = $1
ORDER BY e.is_lead DESC, coalesce(e.position, 0), coalesce(a.published_at, a.collected_at) DESC, e.id DESC

-- name: issue-duplicates
-- The other reports of the stories of issue $1.
SELECT e.duplicate_of, a.title, a.url, a.source
FROM entries e JOIN articles a ON a.id = e.article_id
WHERE e.duplicate_of IN (SELECT id FROM entries WHERE issue_number = $1)
ORDER BY a.collected_at, e.id

-- name: issue-latest-number
SELECT coalesce(max(number), 0) FROM issues WHERE number > 0

-- name: issue-numbers
-- The published issues: a draft or a scheduled one is in no feed or page.
-- A limit of -1 is no limit (LIMIT NULL).
SELECT number FROM issues WHERE state IN ('sending', 'sent') AND number > 0 ORDER BY number DESC LIMIT nullif($1::bigint, -1)

-- name: entries-issued
-- The newest issued entries, with what comparing them with new ones reads
-- (IssuedBriefs): no column of an article after its text, which would
-- take reading the text's pages, nor the earlier entries' joins.
SELECT e.id, a.key, a.title, e.summary, coalesce(e.edited_title, ''), coalesce(e.edited_summary, ''),
    e.names, coalesce(e.issue_number, 0)
FROM entries e JOIN articles a ON a.id = e.article_id
WHERE e.issue_number IS NOT NULL
ORDER BY coalesce(a.published_at, a.collected_at) DESC, e.id DESC
LIMIT nullif($1::bigint, -1)

-- name: published-version
-- Each part is a step down an index, or a look at the few issues: it costs
-- the same however long the archive.
SELECT
    (SELECT coalesce(max(number), 0) FROM issues WHERE state IN ('sending', 'sent')),
    (SELECT coalesce(max(feed_seq), 0) FROM entries),
    (SELECT max(updated_at) FROM entries),
    (SELECT max(updated_at) FROM articles)

-- name: entry-leave-out
-- Left out of every issue (digest.max_entries, digest.max_age).
UPDATE entries SET dropped_at = $1 WHERE id = $2 AND issue_number IS NULL

-- name: issue-next-seq
SELECT coalesce(max(feed_seq), 0) FROM entries

-- name: issue-seq-assign
-- A released issue's entries (the issue is the second argument) take the
-- places after the first argument in the entries feed: in the reverse of
-- the order issue-entries lists them, so that the feed, newest first,
-- shows them as the issue does.
UPDATE entries SET feed_seq = r.n
FROM (SELECT e.id, $1::bigint + row_number() OVER (ORDER BY e.is_lead, coalesce(e.position, 0) DESC,
            coalesce(a.published_at, a.collected_at), e.id) AS n
      FROM entries e JOIN articles a ON a.id = e.article_id
      WHERE e.issue_number = $2) AS r
WHERE r.id = entries.id

-- name: issue-set-count
UPDATE issues SET entry_count = $1 WHERE number = $2

-- name: feed-totals
-- The last published issue, the last place in the entries feed (only
-- released entries have one), the newest published issue's time and the
-- newest change to a published entry. Weekly digests (numbered below 0) are
-- in no document.
SELECT
    (SELECT coalesce(max(number), 0) FROM issues WHERE state IN ('sending', 'sent')),
    (SELECT coalesce(max(feed_seq), 0) FROM entries),
    (SELECT max(created_at) FROM issues WHERE number > 0 AND state IN ('sending', 'sent')),
    (SELECT updated_at FROM entries WHERE feed_seq IS NOT NULL ORDER BY updated_at DESC LIMIT 1)

-- name: feed-entries
SELECT e.id, e.article_id, a.key, a.title, a.url, a.author, a.source, a.published_at,
    e.summary, e.teaser, e.method, e.content_hash, coalesce(e.issue_number, 0), e.created_at, e.updated_at,
    e.is_lead, coalesce(e.edited_title, ''), coalesce(e.edited_summary, ''), coalesce(e.feed_seq, 0),
    a.image_url, a.image_width, a.image_height, a.image_alt,
    e.names, coalesce(e.story_id, 0), coalesce(e.earlier_id, 0), coalesce(pe.edited_title, pa.title, ''), coalesce(pe.issue_number, 0),
    coalesce(pa.key, ''), coalesce(pe.edited_summary, pe.summary, '')
FROM entries e JOIN articles a ON a.id = e.article_id
LEFT JOIN entries pe ON pe.id = e.earlier_id LEFT JOIN articles pa ON pa.id = pe.article_id
WHERE e.feed_seq > $1 AND e.feed_seq <= $2
ORDER BY e.feed_seq DESC

-- name: feed-duplicates
-- The other reports of the entries at places ($1, $2].
SELECT d.duplicate_of, a.title, a.url, a.source
FROM entries t JOIN entries d ON d.duplicate_of = t.id JOIN articles a ON a.id = d.article_id
WHERE t.feed_seq > $1 AND t.feed_seq <= $2
ORDER BY a.collected_at, d.id

-- name: issues-between
-- The published issues numbered ($1, $2], with issue-get's columns.
SELECT number, title, created_at, state, send_at, sent_at, send_error, subject, intro, edited_at
FROM issues WHERE number > $1 AND number <= $2 AND state IN ('sending', 'sent') ORDER BY number DESC

-- name: issues-between-entries
-- Their entries, each issue's in issue-entries' order.
SELECT e.id, e.article_id, a.key, a.title, a.url, a.author, a.source, a.published_at,
    e.summary, e.teaser, e.method, e.content_hash, coalesce(e.issue_number, 0), e.created_at, e.updated_at,
    e.is_lead, coalesce(e.edited_title, ''), coalesce(e.edited_summary, ''), coalesce(e.feed_seq, 0),
    a.image_url, a.image_width, a.image_height, a.image_alt,
    e.names, coalesce(e.story_id, 0), coalesce(e.earlier_id, 0), coalesce(pe.edited_title, pa.title, ''), coalesce(pe.issue_number, 0),
    coalesce(pa.key, ''), coalesce(pe.edited_summary, pe.summary, '')
FROM entries e JOIN articles a ON a.id = e.article_id
LEFT JOIN entries pe ON pe.id = e.earlier_id LEFT JOIN articles pa ON pa.id = pe.article_id
WHERE e.issue_number > $1 AND e.issue_number <= $2
ORDER BY e.issue_number DESC, e.is_lead DESC, coalesce(e.position, 0), coalesce(a.published_at, a.collected_at) DESC, e.id DESC

-- name: issues-between-duplicates
SELECT d.duplicate_of, a.title, a.url, a.source
FROM entries t JOIN entries d ON d.duplicate_of = t.id JOIN articles a ON a.id = d.article_id
WHERE t.issue_number > $1 AND t.issue_number <= $2
ORDER BY a.collected_at, d.id

-- name: issue-infos
SELECT number, title, created_at, entry_count FROM issues
WHERE number > $1 AND number <= $2 AND state IN ('sending', 'sent') ORDER BY number DESC

-- name: feed-changes
-- The issued entries (issue, place, story) whose summary, article, or other
-- reports, or the earlier entry it continues, changed at or after the time
-- given (the same time, six times):
-- each part walks an index from that time on.
SELECT e.issue_number, e.feed_seq, coalesce(e.story_id, 0) FROM entries e
WHERE e.updated_at >= $1 AND e.issue_number IS NOT NULL
UNION
SELECT e.issue_number, e.feed_seq, coalesce(e.story_id, 0) FROM articles a JOIN entries e ON e.article_id = a.id
WHERE a.updated_at >= $2 AND e.issue_number IS NOT NULL
UNION
SELECT t.issue_number, t.feed_seq, coalesce(t.story_id, 0) FROM entries d JOIN entries t ON t.id = d.duplicate_of
WHERE d.updated_at >= $3 AND t.issue_number IS NOT NULL
UNION
SELECT t.issue_number, t.feed_seq, coalesce(t.story_id, 0) FROM articles a JOIN entries d ON d.article_id = a.id JOIN entries t ON t.id = d.duplicate_of
WHERE a.updated_at >= $4 AND t.issue_number IS NOT NULL
UNION
-- An entry shows the title of the earlier entry it continues.
SELECT l.issue_number, l.feed_seq, coalesce(l.story_id, 0) FROM entries p JOIN entries l ON l.earlier_id = p.id
WHERE p.updated_at >= $5 AND l.issue_number IS NOT NULL
UNION
SELECT l.issue_number, l.feed_seq, coalesce(l.story_id, 0) FROM articles a JOIN entries p ON p.article_id = a.id JOIN entries l ON l.earlier_id = p.id
WHERE a.updated_at >= $6 AND l.issue_number IS NOT NULL

-- name: issue-leads
-- The first entries (the third argument: how many) of each published issue
-- numbered in (first, second], newest issue first, each in issue-entries'
-- order: the lead stories the archive's index shows. The ranking reads
-- the sort keys only; the entries shown are read after.
SELECT e.id, e.article_id, a.key, a.title, a.url, a.author, a.source, a.published_at,
    e.summary, e.teaser, e.method, e.content_hash, coalesce(e.issue_number, 0), e.created_at, e.updated_at,
    e.is_lead, coalesce(e.edited_title, ''), coalesce(e.edited_summary, ''), coalesce(e.feed_seq, 0),
    a.image_url, a.image_width, a.image_height, a.image_alt,
    e.names, coalesce(e.story_id, 0), coalesce(e.earlier_id, 0), coalesce(pe.edited_title, pa.title, ''), coalesce(pe.issue_number, 0),
    coalesce(pa.key, ''), coalesce(pe.edited_summary, pe.summary, '')
FROM (
    SELECT x.id, row_number() OVER (PARTITION BY x.issue_number
            ORDER BY x.is_lead DESC, coalesce(x.position, 0), coalesce(y.published_at, y.collected_at) DESC, x.id DESC) AS rank
    FROM entries x JOIN articles y ON y.id = x.article_id JOIN issues i ON i.number = x.issue_number
    WHERE x.issue_number > $1 AND x.issue_number <= $2 AND i.state IN ('sending', 'sent')
) r JOIN entries e ON e.id = r.id JOIN articles a ON a.id = e.article_id
LEFT JOIN entries pe ON pe.id = e.earlier_id LEFT JOIN articles pa ON pa.id = pe.article_id
WHERE r.rank <= $3
ORDER BY e.issue_number DESC, r.rank

-- name: entry-story-of
-- The story an entry belongs to: its own id when it starts one.
SELECT coalesce(story_id, id) FROM entries WHERE id = $1

-- name: entry-link-earlier
-- Arguments: earlier entry, story, entry. Only an entry not yet in an
-- issue is linked: a published entry stays as it was read.
UPDATE entries SET earlier_id = $1, story_id = $2 WHERE id = $3 AND issue_number IS NULL

-- name: entry-start-story
-- The first entry of a story names it. Its own page and feed item do not
-- change (they do not show the story), so updated_at stays.
UPDATE entries SET story_id = id WHERE id = $1 AND story_id IS NULL

-- name: entries-unissued-sources
-- The sources of the other reports of each entry awaiting an issue.
SELECT d.duplicate_of, a.source
FROM entries d JOIN entries t ON t.id = d.duplicate_of JOIN articles a ON a.id = d.article_id
WHERE t.issue_number IS NULL AND t.dropped_at IS NULL

-- name: story-entries
-- The published entries of story $1, newest first.
SELECT e.id, e.article_id, a.key, a.title, a.url, a.author, a.source, a.published_at,
    e.summary, e.teaser, e.method, e.content_hash, coalesce(e.issue_number, 0), e.created_at, e.updated_at,
    e.is_lead, coalesce(e.edited_title, ''), coalesce(e.edited_summary, ''), coalesce(e.feed_seq, 0),
    a.image_url, a.image_width, a.image_height, a.image_alt,
    e.names, coalesce(e.story_id, 0), coalesce(e.earlier_id, 0), coalesce(pe.edited_title, pa.title, ''), coalesce(pe.issue_number, 0),
    coalesce(pa.key, ''), coalesce(pe.edited_summary, pe.summary, '')
FROM entries e JOIN articles a ON a.id = e.article_id
LEFT JOIN entries pe ON pe.id = e.earlier_id LEFT JOIN articles pa ON pa.id = pe.article_id
WHERE e.story_id = $1 AND e.feed_seq IS NOT NULL
ORDER BY e.feed_seq DESC
LIMIT nullif($2::bigint, -1)

-- name: story-duplicates
SELECT d.duplicate_of, a.title, a.url, a.source
FROM entries t JOIN entries d ON d.duplicate_of = t.id JOIN articles a ON a.id = d.article_id
WHERE t.story_id = $1 AND t.feed_seq IS NOT NULL
ORDER BY a.collected_at, d.id

-- name: stories-between
-- The stories of the entries at places ($1, $2] of the entries feed.
-- A story has a page once two of its entries are published.
SELECT DISTINCT e.story_id FROM entries e
WHERE e.feed_seq > $1 AND e.feed_seq <= $2 AND e.story_id IS NOT NULL
    AND (SELECT count(*) FROM entries s WHERE s.story_id = e.story_id AND s.feed_seq IS NOT NULL) >= 2
ORDER BY e.story_id
