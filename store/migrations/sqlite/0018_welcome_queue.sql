-- The sign-up queue (signups.go) also carries the welcome email sent after
-- a confirmation: an address may wait in it once for each kind, so that a
-- sign-up made again meanwhile cannot crowd out its welcome. SQLite cannot
-- change a table's UNIQUE constraint: the table is made anew.
CREATE TABLE signups_new (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL DEFAULT 'confirm' CHECK (kind IN ('confirm', 'welcome')),
    email         TEXT NOT NULL COLLATE NOCASE,
    name          TEXT NOT NULL DEFAULT '',
    requested_at  TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       TEXT NOT NULL,
    claimed_by    TEXT NOT NULL DEFAULT '',
    claimed_until TEXT,
    UNIQUE (email, kind)
);
INSERT INTO signups_new (id, email, name, requested_at, attempts, next_at, claimed_by, claimed_until)
SELECT id, email, name, requested_at, attempts, next_at, claimed_by, claimed_until FROM signups;
DROP TABLE signups;
ALTER TABLE signups_new RENAME TO signups;
CREATE INDEX signups_next ON signups(next_at, id);
