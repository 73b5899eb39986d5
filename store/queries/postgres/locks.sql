-- Named leases (locks.go).

-- name: lock-take
-- Takes the lease if it is free, expired, or the holder's already (a
-- renewal), in one statement: the conflicting row is locked while its
-- condition is checked. Arguments: name, holder, expiry, host, pid,
-- process, now.
INSERT INTO locks (name, holder, expires_at, host, pid, process) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
    host = excluded.host, pid = excluded.pid, process = excluded.process
WHERE locks.holder = excluded.holder OR locks.expires_at <= $7

-- name: lock-holder
SELECT holder, expires_at, host, pid, process FROM locks WHERE name = $1

-- name: lock-take-over
-- Takes the lease from a holder found dead, only if that holder still has
-- it: of two processes taking over, one does. Arguments: holder, expiry,
-- host, pid, process, name, the dead holder.
UPDATE locks SET holder = $1, expires_at = $2, host = $3, pid = $4, process = $5
WHERE name = $6 AND holder = $7

-- name: lock-release
DELETE FROM locks WHERE name = $1 AND holder = $2
