-- What the last collect of a folder source saw of each file it read (see
-- migrations/sqlite/0010_folder_files.sql).
CREATE TABLE folder_files (
    source     TEXT        NOT NULL,
    path       TEXT        NOT NULL,
    size       BIGINT      NOT NULL,
    mtime_ns   BIGINT      NOT NULL,
    hash       TEXT        NOT NULL,
    checked_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, path)
);

-- Which articles need a summary, read from an index: an article's text
-- stands before its hash in the row, and reading every text to find the
-- few articles that changed cost a run with nothing new most of its time.
CREATE INDEX articles_to_summarize ON articles(seeded, id, content_hash);
