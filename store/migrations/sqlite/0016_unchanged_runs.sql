-- What the last collect of a folder source saw of each file it read
-- (source.FileStamp): a file whose size and modification time are as they
-- were is not read again, and one whose bytes hash as they did is not
-- parsed again. Times are nanoseconds since 1970, as the file system keeps
-- them.
CREATE TABLE folder_files (
    source     TEXT    NOT NULL,
    path       TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    mtime_ns   INTEGER NOT NULL,
    hash       TEXT    NOT NULL,
    checked_at TEXT    NOT NULL,
    PRIMARY KEY (source, path)
);

-- Which articles need a summary, read from an index: an article's text
-- stands before its hash in the row, and reading every text to find the
-- few articles that changed cost a run with nothing new most of its time.
CREATE INDEX articles_to_summarize ON articles(seeded, id, content_hash);
