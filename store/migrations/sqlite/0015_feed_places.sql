-- What the feeds and archive need to be rendered a document at a time, and
-- issues of a bounded size.

-- The entry's place in the entries feed: 1 for the first entry ever
-- published, then issue after issue and, within one, from the last shown
-- to the first. Set when its issue is released; an archive page is a run
-- of them.
ALTER TABLE entries ADD COLUMN feed_seq INTEGER;
-- When the entry was left out of every issue, too old or one too many
-- (digest.max_entries, digest.overflow, digest.max_age).
ALTER TABLE entries ADD COLUMN dropped_at TEXT;
-- How many entries a released issue holds (they never leave it), so that
-- the index lists issues without reading their entries.
ALTER TABLE issues ADD COLUMN entry_count INTEGER NOT NULL DEFAULT 0;

-- The released issues' entries, in the order issue-entries gives them,
-- issue after issue; drafts get theirs when they are released.
UPDATE entries SET feed_seq = r.n
FROM (SELECT e.id, row_number() OVER (ORDER BY e.issue_number, e.is_lead, coalesce(e.position, 0) DESC,
                 coalesce(a.published_at, a.collected_at), e.id) AS n
      FROM entries e JOIN articles a ON a.id = e.article_id JOIN issues i ON i.number = e.issue_number
      WHERE i.state IN ('sending', 'sent')) AS r
WHERE r.id = entries.id;
UPDATE issues SET entry_count = (SELECT count(*) FROM entries WHERE issue_number = issues.number);

CREATE UNIQUE INDEX entries_feed_seq ON entries(feed_seq);
-- What changed since the last publish, and the other reports of a story.
CREATE INDEX entries_updated ON entries(updated_at);
CREATE INDEX articles_updated ON articles(updated_at);
CREATE INDEX entries_duplicate_of ON entries(duplicate_of);
