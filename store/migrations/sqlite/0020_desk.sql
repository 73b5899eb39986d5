-- The editor's desk (package admin): the people who sign in to it, their
-- sessions, the sources an editor paused, and the indexes its pages read
-- by.

-- A user of the desk. The password is kept only as a hash that carries its
-- own parameters (argon2id, in the PHC string format). role: admin (manages
-- users, and does all an editor does) or editor. Names are lower case.
CREATE TABLE admin_users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    email         TEXT NOT NULL DEFAULT '',    -- where the user's test copies go
    role          TEXT NOT NULL CHECK (role IN ('admin', 'editor')),
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    last_sign_in  TEXT
);

-- A signed-in browser. Its cookie carries id.secret; only a SHA-256 of the
-- secret is kept here, so that what the database holds signs no one in.
-- A session ends at sign-out (the row is deleted), when it has been idle
-- too long (seen_at) or lived too long (created_at), and with its user.
CREATE TABLE admin_sessions (
    id          TEXT    PRIMARY KEY,
    secret_hash TEXT    NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES admin_users(id) ON DELETE CASCADE,
    created_at  TEXT    NOT NULL,
    seen_at     TEXT    NOT NULL,
    client      TEXT    NOT NULL DEFAULT '',  -- the address it signed in from
    user_agent  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX admin_sessions_user ON admin_sessions(user_id);

-- Sources an editor paused: collect skips them until they are resumed.
CREATE TABLE paused_sources (
    name      TEXT PRIMARY KEY,
    paused_at TEXT NOT NULL,
    paused_by TEXT NOT NULL DEFAULT ''
);

-- The subscriber table's search finds addresses and names by how they
-- start, and addresses by their domain: each is a range of one of these
-- indexes (the addresses' is the unique index on email, COLLATE NOCASE).
CREATE INDEX subscribers_name ON subscribers(name COLLATE NOCASE);
CREATE INDEX subscribers_domain ON subscribers(lower(substr(email, instr(email, '@') + 1)));
-- The dashboard's growth chart counts confirmations by day, in the order
-- of this index (no sort), and those who left by day, from this covering
-- index's ranges of their statuses (no scan of the table).
CREATE INDEX subscribers_confirmed_day ON subscribers(substr(confirmed_at, 1, 10));
CREATE INDEX subscribers_left ON subscribers(status, updated_at, confirmed_at);
-- The sources page counts each source's articles.
CREATE INDEX articles_source ON articles(source, collected_at);
