-- Whole-database counts and health (status.go).

-- name: totals
SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM entries), (SELECT count(*) FROM issues WHERE number > 0)

-- name: totals-deliveries
SELECT status, count(*) FROM deliveries GROUP BY status

-- name: ping
SELECT count(*) FROM schema_migrations
