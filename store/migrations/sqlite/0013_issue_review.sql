-- Review before send (review.go). An issue's state:
--   draft      built with digest.review on: published nowhere, mailed to nobody
--   scheduled  approved for send_at: still published nowhere
--   sending    released (published) and being sent, or its send cut short
--   sent       its send ran to the end
-- Issues made before there were states were published and sent as they
-- were built: they are sent, but for a send cut short (rows still
-- pending) or never started (the latest, with no row at all), which the
-- next run finishes.
ALTER TABLE issues ADD COLUMN state TEXT NOT NULL DEFAULT 'sent'
    CHECK (state IN ('draft', 'scheduled', 'sending', 'sent'));
ALTER TABLE issues ADD COLUMN send_at TEXT;       -- scheduled: when to send; sending, sent: when it was released
ALTER TABLE issues ADD COLUMN sent_at TEXT;       -- when its send ran to the end
-- Why the last send stopped short of everyone (paused, failures left
-- pending, a publish that failed): a send that stopped so waits for a
-- person instead of being taken up again on its own. '' while none.
ALTER TABLE issues ADD COLUMN send_error TEXT NOT NULL DEFAULT '';
-- An editor's changes, kept as data: the email's subject ('' is the
-- title) and an introduction in Markdown.
ALTER TABLE issues ADD COLUMN subject TEXT NOT NULL DEFAULT '';
ALTER TABLE issues ADD COLUMN intro TEXT NOT NULL DEFAULT '';
ALTER TABLE issues ADD COLUMN edited_at TEXT;
UPDATE issues SET state = 'sending'
WHERE number IN (SELECT issue_number FROM deliveries WHERE status = 'pending')
   OR (number = (SELECT max(number) FROM issues)
       AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.issue_number = issues.number));
CREATE INDEX issues_state ON issues(state, number);

-- An editor's changes to the entries of a draft, beside what the machine
-- made (the article's title, the summary), which stay to be restored.
ALTER TABLE entries ADD COLUMN position INTEGER;                 -- in its issue, from 1; NULL: the order it was built in
ALTER TABLE entries ADD COLUMN is_lead INTEGER NOT NULL DEFAULT 0; -- the issue's lead story, shown first
ALTER TABLE entries ADD COLUMN edited_title TEXT;                -- NULL: the article's title
ALTER TABLE entries ADD COLUMN edited_summary TEXT;              -- NULL: the summary; one sentence a line
