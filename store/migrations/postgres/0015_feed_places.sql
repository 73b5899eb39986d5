-- What the feeds and archive need to be rendered a document at a time, and
-- issues of a bounded size (see migrations/sqlite/0009_feed_places.sql).

ALTER TABLE entries ADD COLUMN feed_seq BIGINT;
ALTER TABLE entries ADD COLUMN dropped_at TIMESTAMPTZ;
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
CREATE INDEX entries_updated ON entries(updated_at);
CREATE INDEX articles_updated ON articles(updated_at);
CREATE INDEX entries_duplicate_of ON entries(duplicate_of);
