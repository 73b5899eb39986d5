-- The data model of bulletin. Times are UTC text in a fixed-width format
-- (see store.go) so that they sort as text and read well in sqlite3.

CREATE TABLE articles (
    id           INTEGER PRIMARY KEY,
    key          TEXT    NOT NULL UNIQUE,      -- canonical URL, else sha256:<content hash>
    url          TEXT    NOT NULL DEFAULT '',
    title        TEXT    NOT NULL,
    author       TEXT    NOT NULL DEFAULT '',
    source       TEXT    NOT NULL DEFAULT '',
    origin       TEXT    NOT NULL DEFAULT '',  -- file path or feed URL it was read from
    published_at TEXT,
    text         TEXT    NOT NULL,
    content_hash TEXT    NOT NULL,
    seeded       INTEGER NOT NULL DEFAULT 0,   -- held by a source on its first run: never issued
    collected_at TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);

CREATE TABLE issues (
    number     INTEGER PRIMARY KEY,
    title      TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE entries (
    id           INTEGER PRIMARY KEY,
    article_id   INTEGER NOT NULL UNIQUE REFERENCES articles(id) ON DELETE CASCADE,
    content_hash TEXT    NOT NULL,            -- of the article the summary was written from
    summary      TEXT    NOT NULL,            -- one sentence a line
    teaser       TEXT    NOT NULL,
    method       TEXT    NOT NULL,            -- what wrote the summary: extractive, llm
    issue_number INTEGER REFERENCES issues(number),
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);
CREATE INDEX entries_issue ON entries(issue_number);

CREATE TABLE subscribers (
    id           INTEGER PRIMARY KEY,
    email        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name         TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'unsubscribed', 'bounced', 'complained')),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    confirmed_at TEXT
);

-- The delivery ledger: one row per issue and subscriber, written before the
-- message leaves, so that no run ever sends an issue to someone twice.
CREATE TABLE deliveries (
    issue_number  INTEGER NOT NULL REFERENCES issues(number),
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id),
    email         TEXT    NOT NULL,           -- the address it went to, kept if the subscriber changes
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT    NOT NULL DEFAULT '',
    message_id    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    sent_at       TEXT,
    PRIMARY KEY (issue_number, subscriber_id)
);
CREATE INDEX deliveries_status ON deliveries(issue_number, status);

-- Named leases that coordinate processes sharing one database file (a
-- scheduled send and a manual one, say).
CREATE TABLE locks (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- What each scheduled job did last, so that missed runs can be caught up.
CREATE TABLE job_runs (
    job         TEXT PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    ok          INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT ''
);
