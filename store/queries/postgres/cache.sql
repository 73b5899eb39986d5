-- The summary cache (cache.go).

-- name: cache-get
SELECT value FROM summary_cache WHERE key = $1

-- name: cache-put
INSERT INTO summary_cache (key, value, created_at) VALUES ($1, $2, $3)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, created_at = excluded.created_at
