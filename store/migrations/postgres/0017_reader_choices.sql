-- What each reader chose on the preferences page (newsletter/preferences.go):
-- every issue as it is sent, or one weekly digest of the week's issues;
-- and a pause, until a date, during which nothing is sent to them.
ALTER TABLE subscribers ADD COLUMN cadence TEXT NOT NULL DEFAULT 'issue'
    CHECK (cadence IN ('issue', 'weekly'));
ALTER TABLE subscribers ADD COLUMN paused_until TIMESTAMPTZ;  -- NULL: not paused

-- A weekly digest (weeklies.go) is a mailing of its own: a row of issues
-- numbered -1, -2, ... (the delivery ledger keys its rows by issue, and a
-- digest has rows of its own there), never listed with the issues, made of
-- the lead entries of the issues first_issue to last_issue.
CREATE TABLE weeklies (
    number      INTEGER PRIMARY KEY REFERENCES issues(number),
    first_issue INTEGER NOT NULL,
    last_issue  INTEGER NOT NULL UNIQUE
);
