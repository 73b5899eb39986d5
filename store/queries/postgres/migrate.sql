-- The bookkeeping of migrations (see migrate.go).

-- name: migrate-lock
-- Held until the migration's transaction ends; other processes opening the
-- database wait here. The key is bulletin's own ('bulletin' in ASCII).
SELECT pg_advisory_xact_lock(7094696000806480238)

-- name: migrations-table
CREATE TABLE IF NOT EXISTS schema_migrations (
    name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)

-- name: migration-applied
SELECT count(*) FROM schema_migrations WHERE name = $1

-- name: migration-record
INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)
