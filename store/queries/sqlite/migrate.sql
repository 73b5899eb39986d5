-- The bookkeeping of migrations (see migrate.go).

-- name: migrate-lock
-- Nothing to do: transactions begin IMMEDIATE, so this one holds SQLite's
-- write lock already.

-- name: migrations-table
CREATE TABLE IF NOT EXISTS schema_migrations (
    name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)

-- name: migration-applied
SELECT count(*) FROM schema_migrations WHERE name = ?

-- name: migration-record
INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)
