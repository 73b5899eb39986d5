-- The summary cache (cache.go).

-- name: cache-get
SELECT value FROM summary_cache WHERE key = ?

-- name: cache-put
INSERT INTO summary_cache (key, value, created_at) VALUES (?, ?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, created_at = excluded.created_at
