-- What each feed source remembers between fetches (sources.go).

-- name: source-state
SELECT name, etag, last_modified, last_fetch, last_success, failures,
    first_failure, failing_since, next_attempt, last_error, cut_mark
FROM source_states WHERE name = $1

-- name: source-state-save
INSERT INTO source_states (name, etag, last_modified, last_fetch, last_success, failures,
    first_failure, failing_since, next_attempt, last_error, cut_mark, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (name) DO UPDATE SET
    etag = excluded.etag, last_modified = excluded.last_modified,
    last_fetch = excluded.last_fetch, last_success = excluded.last_success,
    failures = excluded.failures, first_failure = excluded.first_failure,
    failing_since = excluded.failing_since, next_attempt = excluded.next_attempt,
    last_error = excluded.last_error, cut_mark = excluded.cut_mark, updated_at = excluded.updated_at

-- name: source-states
SELECT name, etag, last_modified, last_fetch, last_success, failures,
    first_failure, failing_since, next_attempt, last_error, cut_mark
FROM source_states ORDER BY name

-- What the last collect saw of each file of a folder source (sources.go).

-- name: folder-files
SELECT path, size, mtime_ns, hash, checked_at FROM folder_files WHERE source = $1

-- name: folder-file-save
INSERT INTO folder_files (source, path, size, mtime_ns, hash, checked_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (source, path) DO UPDATE SET
    size = excluded.size, mtime_ns = excluded.mtime_ns, hash = excluded.hash,
    checked_at = excluded.checked_at
