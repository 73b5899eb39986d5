-- A send divided among processes: see migrations/postgres/0025. SQLite has
-- one writer at a time and sends from one process under the send lease, so
-- it leaves these tables empty; they exist so that both schemas stay the
-- same.
CREATE TABLE send_chunks (
    issue_number INTEGER NOT NULL REFERENCES issues(number),
    chunk        INTEGER NOT NULL,
    done         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (issue_number, chunk)
);

CREATE TABLE send_rates (
    name    TEXT    PRIMARY KEY,
    next_us INTEGER NOT NULL
);
