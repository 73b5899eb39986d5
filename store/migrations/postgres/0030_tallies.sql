-- Running tallies, as migrations/sqlite/0030_tallies.sql has them:
-- subscribers by status, confirmations and departures by UTC day, and each
-- issue's ledger rows by status, kept by triggers in the transaction of
-- every change.
--
-- Here writers run at once, so a tally is not one row that each
-- transaction updates (senders would queue on it, and two transactions
-- that touch two statuses in turn would deadlock): it is the sum of its
-- rows, and a statement adds a row of its change, never waiting on
-- another. To keep the rows few, the statement also folds into its own
-- row the rows of the same keys that no one else holds (FOR UPDATE SKIP
-- LOCKED: it takes only rows it can lock at once): a key has about one row
-- per transaction under way that changed it. The triggers are per
-- statement, over its transition tables: an import or a copy of 100,000
-- rows adds one row per key it touches.

CREATE TABLE subscriber_tally (
    status TEXT NOT NULL,
    n      BIGINT NOT NULL
);
CREATE INDEX subscriber_tally_key ON subscriber_tally(status);

CREATE TABLE subscriber_day_tally (
    kind TEXT NOT NULL CHECK (kind IN ('joined', 'left')),
    day  TEXT NOT NULL,    -- the UTC day, 'YYYY-MM-DD'
    n    BIGINT NOT NULL
);
CREATE INDEX subscriber_day_tally_key ON subscriber_day_tally(kind, day);

CREATE TABLE delivery_tally (
    issue_number BIGINT NOT NULL,
    status       TEXT NOT NULL,
    n            BIGINT NOT NULL
);
CREATE INDEX delivery_tally_key ON delivery_tally(issue_number, status);

INSERT INTO subscriber_tally (status, n) SELECT status, count(*) FROM subscribers GROUP BY status;
INSERT INTO subscriber_day_tally (kind, day, n)
SELECT 'joined', to_char(confirmed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), count(*) FROM subscribers
WHERE confirmed_at IS NOT NULL GROUP BY 2;
INSERT INTO subscriber_day_tally (kind, day, n)
SELECT 'left', to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), count(*) FROM subscribers
WHERE status IN ('unsubscribed', 'bounced', 'complained') AND confirmed_at IS NOT NULL GROUP BY 2;
INSERT INTO delivery_tally (issue_number, status, n)
SELECT issue_number, status, count(*) FROM deliveries GROUP BY 1, 2;

-- Whether a statement may fold rows: under READ COMMITTED (the store's
-- transactions), where a row another transaction deleted is skipped. A
-- stricter transaction only adds its rows.
CREATE FUNCTION tally_may_fold() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT current_setting('transaction_isolation') = 'read committed'
$$;

-- Adds a statement's change to subscribers, given as the keys of its rows:
-- sign +1 for each row after the statement, -1 for each row before it.
-- Changes that cancel (a row whose keys stayed) write nothing.
CREATE FUNCTION subscriber_tally_apply(d_status TEXT[], d_confirmed TIMESTAMPTZ[], d_updated TIMESTAMPTZ[], d_sign INT[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    fold boolean := tally_may_fold();
BEGIN
    WITH d AS (
        SELECT status, sum(sign) AS n FROM unnest(d_status, d_sign) AS u(status, sign)
        GROUP BY status HAVING sum(sign) <> 0
    ), old AS (
        DELETE FROM subscriber_tally WHERE fold AND ctid IN (
            SELECT t.ctid FROM subscriber_tally t JOIN d USING (status) FOR UPDATE OF t SKIP LOCKED)
        RETURNING status, n
    )
    INSERT INTO subscriber_tally (status, n)
    SELECT status, sum(n) FROM (SELECT * FROM d UNION ALL SELECT * FROM old) x
    GROUP BY status HAVING sum(n) <> 0 OR NOT fold;

    WITH d AS (
        SELECT kind, day, sum(sign) AS n FROM (
            SELECT 'joined' AS kind, to_char(confirmed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, sign
            FROM unnest(d_status, d_confirmed, d_sign) AS u(status, confirmed_at, sign)
            WHERE confirmed_at IS NOT NULL
            UNION ALL
            SELECT 'left', to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), sign
            FROM unnest(d_status, d_confirmed, d_updated, d_sign) AS u(status, confirmed_at, updated_at, sign)
            WHERE status IN ('unsubscribed', 'bounced', 'complained') AND confirmed_at IS NOT NULL
        ) x GROUP BY kind, day HAVING sum(sign) <> 0
    ), old AS (
        DELETE FROM subscriber_day_tally WHERE fold AND ctid IN (
            SELECT t.ctid FROM subscriber_day_tally t JOIN d USING (kind, day) FOR UPDATE OF t SKIP LOCKED)
        RETURNING kind, day, n
    )
    INSERT INTO subscriber_day_tally (kind, day, n)
    SELECT kind, day, sum(n) FROM (SELECT * FROM d UNION ALL SELECT * FROM old) x
    GROUP BY kind, day HAVING sum(n) <> 0 OR NOT fold;
END
$$;

CREATE FUNCTION subscribers_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM subscriber_tally_apply(array_agg(status), array_agg(confirmed_at), array_agg(updated_at), array_agg(1))
        FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM subscriber_tally_apply(array_agg(status), array_agg(confirmed_at), array_agg(updated_at), array_agg(-1))
        FROM old_rows;
    ELSE
        PERFORM subscriber_tally_apply(array_agg(status), array_agg(confirmed_at), array_agg(updated_at), array_agg(sign))
        FROM (SELECT status, confirmed_at, updated_at, 1 AS sign FROM new_rows
              UNION ALL SELECT status, confirmed_at, updated_at, -1 FROM old_rows) x;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER subscribers_tally_insert AFTER INSERT ON subscribers
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION subscribers_tally();
CREATE TRIGGER subscribers_tally_update AFTER UPDATE ON subscribers
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION subscribers_tally();
CREATE TRIGGER subscribers_tally_delete AFTER DELETE ON subscribers
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION subscribers_tally();

-- The same for the ledger: its rows' issue and status.
CREATE FUNCTION delivery_tally_apply(d_issue BIGINT[], d_status TEXT[], d_sign INT[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    fold boolean := tally_may_fold();
BEGIN
    WITH d AS (
        SELECT issue_number, status, sum(sign) AS n FROM unnest(d_issue, d_status, d_sign) AS u(issue_number, status, sign)
        GROUP BY issue_number, status HAVING sum(sign) <> 0
    ), old AS (
        DELETE FROM delivery_tally WHERE fold AND ctid IN (
            SELECT t.ctid FROM delivery_tally t JOIN d USING (issue_number, status) FOR UPDATE OF t SKIP LOCKED)
        RETURNING issue_number, status, n
    )
    INSERT INTO delivery_tally (issue_number, status, n)
    SELECT issue_number, status, sum(n) FROM (SELECT * FROM d UNION ALL SELECT * FROM old) x
    GROUP BY issue_number, status HAVING sum(n) <> 0 OR NOT fold;
END
$$;

CREATE FUNCTION deliveries_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM delivery_tally_apply(array_agg(issue_number), array_agg(status), array_agg(1)) FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM delivery_tally_apply(array_agg(issue_number), array_agg(status), array_agg(-1)) FROM old_rows;
    ELSE
        PERFORM delivery_tally_apply(array_agg(issue_number), array_agg(status), array_agg(sign))
        FROM (SELECT issue_number, status, 1 AS sign FROM new_rows
              UNION ALL SELECT issue_number, status, -1 FROM old_rows) x;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER deliveries_tally_insert AFTER INSERT ON deliveries
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION deliveries_tally();
CREATE TRIGGER deliveries_tally_update AFTER UPDATE ON deliveries
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION deliveries_tally();
CREATE TRIGGER deliveries_tally_delete AFTER DELETE ON deliveries
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION deliveries_tally();

-- The growth chart reads the tallies now: the indexes it read by
-- (0020_desk.sql) would only slow each change of a subscriber.
DROP INDEX subscribers_confirmed_at;
DROP INDEX subscribers_left;

-- A search by domain reads the domain's addresses newest first, in the
-- order of this index, and stops at the page's end (desk.sql).
DROP INDEX subscribers_domain;
CREATE INDEX subscribers_domain_id ON subscribers(lower(substr(email, strpos(email, '@') + 1) COLLATE "C"), id);
