-- What each feed source remembers between fetches (source.State): the
-- validators for conditional GET and the failure record behind backoff and
-- `bulletin status`. One row per configured source name; a source with no
-- row has never been fetched.
CREATE TABLE source_states (
    name          TEXT    PRIMARY KEY,
    etag          TEXT    NOT NULL DEFAULT '',
    last_modified TEXT    NOT NULL DEFAULT '',   -- as the server sent it (HTTP date)
    last_fetch    TIMESTAMPTZ,                   -- last attempt
    last_success  TIMESTAMPTZ,                   -- NULL: never succeeded (first run)
    failures      INTEGER NOT NULL DEFAULT 0,    -- consecutive
    first_failure TIMESTAMPTZ,                   -- start of the current run of failures
    failing_since TIMESTAMPTZ,                   -- set once the failure is worth reporting
    next_attempt  TIMESTAMPTZ,                   -- backoff: no fetch before this
    last_error    TEXT    NOT NULL DEFAULT '',
    updated_at    TIMESTAMPTZ NOT NULL
);
