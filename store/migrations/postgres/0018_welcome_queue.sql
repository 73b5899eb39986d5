-- The sign-up queue (signups.go) also carries the welcome email sent after
-- a confirmation: an address may wait in it once for each kind, so that a
-- sign-up made again meanwhile cannot crowd out its welcome.
ALTER TABLE signups ADD COLUMN kind TEXT NOT NULL DEFAULT 'confirm' CHECK (kind IN ('confirm', 'welcome'));
DROP INDEX signups_email;
CREATE UNIQUE INDEX signups_email ON signups (lower(email COLLATE "C"), kind);
