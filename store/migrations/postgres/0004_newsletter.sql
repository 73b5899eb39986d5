-- Newsletter bookkeeping beyond the initial schema.

-- When the last confirmation email went out, so that subscribing the same
-- address again cannot be used to flood its owner with confirmation mail.
ALTER TABLE subscribers ADD COLUMN confirm_sent_at TIMESTAMPTZ;

-- Listing subscribers by status (confirmed ones for every send) without a
-- full scan.
CREATE INDEX subscribers_status ON subscribers(status, id);

-- Removing a subscriber deletes their ledger rows; find them without a scan.
CREATE INDEX deliveries_subscriber ON deliveries(subscriber_id);
