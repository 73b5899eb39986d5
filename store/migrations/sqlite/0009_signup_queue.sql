-- Sign-ups waiting for their confirmation email (signups.go). The sign-up
-- form stores the request and answers at once; a worker sends the
-- confirmations a few at a time, at a bounded rate. A row stays until its
-- email went out or was given up, so that a restart loses none, and an
-- address waits in it once however often it is signed up.
CREATE TABLE signups (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT NOT NULL DEFAULT '',
    requested_at  TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       TEXT NOT NULL,         -- not taken before then (a retry waits)
    claimed_by    TEXT NOT NULL DEFAULT '',
    claimed_until TEXT                   -- a worker's claim, NULL when none
);
CREATE INDEX signups_next ON signups(next_at, id);
