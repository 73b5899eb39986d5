-- Bounces and complaints reported after a message left (bounces.go), each
-- on the delivery row it is about. Reports that change nothing (a delay
-- warning) and reports that name no delivery are not kept.
CREATE TABLE bounce_events (
    id            INTEGER PRIMARY KEY,
    issue_number  INTEGER NOT NULL,
    subscriber_id INTEGER NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('hard', 'soft', 'complaint')),
    source        TEXT    NOT NULL,             -- mail, or the sending service: ses, postmark...
    report_id     TEXT    NOT NULL UNIQUE,      -- the report's own id: acted on once, however often read
    status        TEXT    NOT NULL DEFAULT '',  -- RFC 3463 code, like 5.1.1
    detail        TEXT    NOT NULL DEFAULT '',  -- what the receiving server said
    reported_at   TEXT,                         -- when the report says it happened
    created_at    TEXT    NOT NULL,
    FOREIGN KEY (issue_number, subscriber_id) REFERENCES deliveries(issue_number, subscriber_id) ON DELETE CASCADE
);
CREATE INDEX bounce_events_subscriber ON bounce_events(subscriber_id, issue_number);
CREATE INDEX bounce_events_issue ON bounce_events(issue_number, kind);

-- A bounce that lost its return path is matched by the Message-ID it
-- quotes.
CREATE INDEX deliveries_message_id ON deliveries(message_id);
