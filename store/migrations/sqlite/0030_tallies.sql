-- Running tallies of what the desk's pages count: subscribers by status,
-- confirmations and departures by UTC day (the growth chart), and each
-- issue's ledger rows by status. Triggers keep them in the transaction
-- of every change to subscribers and deliveries, so that a page reads a
-- few rows instead of counting 100,000. Each tally is the COUNT it
-- replaces: store.TestTalliesMatchCounts holds them to it.

-- Subscribers by status (CountSubscribers).
CREATE TABLE subscriber_tally (
    status TEXT PRIMARY KEY,
    n      INTEGER NOT NULL
);

-- The growth chart (ConfirmedByDay), by UTC day 'YYYY-MM-DD':
-- kind 'joined' counts the subscribers confirmed on the day, whatever
-- their status now; kind 'left' those who had been confirmed and left
-- (unsubscribed, bounced, complained), on the day of their last change.
CREATE TABLE subscriber_day_tally (
    kind TEXT NOT NULL CHECK (kind IN ('joined', 'left')),
    day  TEXT NOT NULL,
    n    INTEGER NOT NULL,
    PRIMARY KEY (kind, day)
);

-- Each issue's ledger rows by status (DeliveryCounts).
CREATE TABLE delivery_tally (
    issue_number INTEGER NOT NULL,
    status       TEXT NOT NULL,
    n            INTEGER NOT NULL,
    PRIMARY KEY (issue_number, status)
);

-- The tallies of the rows there already.
INSERT INTO subscriber_tally (status, n) SELECT status, count(*) FROM subscribers GROUP BY status;
INSERT INTO subscriber_day_tally (kind, day, n)
SELECT 'joined', substr(confirmed_at, 1, 10), count(*) FROM subscribers
WHERE confirmed_at IS NOT NULL GROUP BY 2;
INSERT INTO subscriber_day_tally (kind, day, n)
SELECT 'left', substr(updated_at, 1, 10), count(*) FROM subscribers
WHERE status IN ('unsubscribed', 'bounced', 'complained') AND confirmed_at IS NOT NULL GROUP BY 2;
INSERT INTO delivery_tally (issue_number, status, n)
SELECT issue_number, status, count(*) FROM deliveries GROUP BY 1, 2;

-- A row counts in the tallies of its keys: added, +1; removed, -1;
-- changed, -1 in those of its old keys and +1 in those of its new, for
-- each key that changed. A decrement finds its row: the tally counted the
-- row when it came. (The SELECTs below carry a WHERE so that ON CONFLICT
-- parses as the upsert's.)

CREATE TRIGGER subscribers_tally_insert AFTER INSERT ON subscribers BEGIN
    INSERT INTO subscriber_tally (status, n) VALUES (NEW.status, 1)
    ON CONFLICT (status) DO UPDATE SET n = n + 1;
    INSERT INTO subscriber_day_tally (kind, day, n)
    SELECT 'joined', substr(NEW.confirmed_at, 1, 10), 1 WHERE NEW.confirmed_at IS NOT NULL
    ON CONFLICT (kind, day) DO UPDATE SET n = n + 1;
    INSERT INTO subscriber_day_tally (kind, day, n)
    SELECT 'left', substr(NEW.updated_at, 1, 10), 1
    WHERE NEW.status IN ('unsubscribed', 'bounced', 'complained') AND NEW.confirmed_at IS NOT NULL
    ON CONFLICT (kind, day) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER subscribers_tally_delete AFTER DELETE ON subscribers BEGIN
    UPDATE subscriber_tally SET n = n - 1 WHERE status = OLD.status;
    UPDATE subscriber_day_tally SET n = n - 1
    WHERE kind = 'joined' AND day = substr(OLD.confirmed_at, 1, 10);
    UPDATE subscriber_day_tally SET n = n - 1
    WHERE kind = 'left' AND day = substr(OLD.updated_at, 1, 10)
        AND OLD.status IN ('unsubscribed', 'bounced', 'complained') AND OLD.confirmed_at IS NOT NULL;
END;

CREATE TRIGGER subscribers_tally_status AFTER UPDATE ON subscribers
WHEN OLD.status IS NOT NEW.status BEGIN
    UPDATE subscriber_tally SET n = n - 1 WHERE status = OLD.status;
    INSERT INTO subscriber_tally (status, n) VALUES (NEW.status, 1)
    ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER subscribers_tally_joined AFTER UPDATE ON subscribers
WHEN substr(OLD.confirmed_at, 1, 10) IS NOT substr(NEW.confirmed_at, 1, 10) BEGIN
    UPDATE subscriber_day_tally SET n = n - 1
    WHERE kind = 'joined' AND day = substr(OLD.confirmed_at, 1, 10);
    INSERT INTO subscriber_day_tally (kind, day, n)
    SELECT 'joined', substr(NEW.confirmed_at, 1, 10), 1 WHERE NEW.confirmed_at IS NOT NULL
    ON CONFLICT (kind, day) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER subscribers_tally_left AFTER UPDATE ON subscribers
WHEN (CASE WHEN OLD.status IN ('unsubscribed', 'bounced', 'complained') AND OLD.confirmed_at IS NOT NULL
           THEN substr(OLD.updated_at, 1, 10) END)
  IS NOT (CASE WHEN NEW.status IN ('unsubscribed', 'bounced', 'complained') AND NEW.confirmed_at IS NOT NULL
           THEN substr(NEW.updated_at, 1, 10) END) BEGIN
    UPDATE subscriber_day_tally SET n = n - 1
    WHERE kind = 'left' AND day = substr(OLD.updated_at, 1, 10)
        AND OLD.status IN ('unsubscribed', 'bounced', 'complained') AND OLD.confirmed_at IS NOT NULL;
    INSERT INTO subscriber_day_tally (kind, day, n)
    SELECT 'left', substr(NEW.updated_at, 1, 10), 1
    WHERE NEW.status IN ('unsubscribed', 'bounced', 'complained') AND NEW.confirmed_at IS NOT NULL
    ON CONFLICT (kind, day) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER deliveries_tally_insert AFTER INSERT ON deliveries BEGIN
    INSERT INTO delivery_tally (issue_number, status, n) VALUES (NEW.issue_number, NEW.status, 1)
    ON CONFLICT (issue_number, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER deliveries_tally_delete AFTER DELETE ON deliveries BEGIN
    UPDATE delivery_tally SET n = n - 1 WHERE issue_number = OLD.issue_number AND status = OLD.status;
END;

CREATE TRIGGER deliveries_tally_update AFTER UPDATE ON deliveries
WHEN OLD.status IS NOT NEW.status OR OLD.issue_number IS NOT NEW.issue_number BEGIN
    UPDATE delivery_tally SET n = n - 1 WHERE issue_number = OLD.issue_number AND status = OLD.status;
    INSERT INTO delivery_tally (issue_number, status, n) VALUES (NEW.issue_number, NEW.status, 1)
    ON CONFLICT (issue_number, status) DO UPDATE SET n = n + 1;
END;

-- The growth chart reads the tallies now: the indexes it read by
-- (0020_desk.sql) would only slow each change of a subscriber.
DROP INDEX subscribers_confirmed_day;
DROP INDEX subscribers_left;
