-- A send divided among processes (sharing.go). An issue's ledger rows are
-- cut into chunks of consecutive subscriber ids; a sender works through a
-- chunk while it holds the chunk's row locked (FOR UPDATE SKIP LOCKED) in a
-- transaction left open, so that a sender that dies lets go of its chunk at
-- once, with its connection. done: no confirmed subscriber's row in the
-- chunk was left pending by the last sender that held it.
CREATE TABLE send_chunks (
    issue_number INTEGER NOT NULL REFERENCES issues(number),
    chunk        BIGINT  NOT NULL,
    done         BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (issue_number, chunk)
);

-- The one rate limit of every sender on the database: next_us is the
-- first free moment (microseconds since 1970, by the database's clock) at
-- which a message may start.
CREATE TABLE send_rates (
    name    TEXT   PRIMARY KEY,
    next_us BIGINT NOT NULL
);
