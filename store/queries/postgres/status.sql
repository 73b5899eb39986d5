-- Whole-database counts and health (status.go).

-- name: totals
SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM entries), (SELECT count(*) FROM issues)

-- name: totals-deliveries
SELECT status, count(*) FROM deliveries GROUP BY status

-- name: ping
SELECT count(*) FROM schema_migrations
