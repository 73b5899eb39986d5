-- Named leases (locks.go).

-- name: lock-take
-- Takes the lease if it is free, expired, or the holder's already (a
-- renewal), in one statement. Arguments: name, holder, expiry, host, pid,
-- process, now.
INSERT INTO locks (name, holder, expires_at, host, pid, process) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
    host = excluded.host, pid = excluded.pid, process = excluded.process
WHERE locks.holder = excluded.holder OR locks.expires_at <= ?

-- name: lock-holder
SELECT holder, expires_at, host, pid, process FROM locks WHERE name = ?

-- name: lock-take-over
-- Takes the lease from a holder found dead, only if that holder still has
-- it: of two processes taking over, one does. Arguments: holder, expiry,
-- host, pid, process, name, the dead holder.
UPDATE locks SET holder = ?, expires_at = ?, host = ?, pid = ?, process = ?
WHERE name = ? AND holder = ?

-- name: lock-release
DELETE FROM locks WHERE name = ? AND holder = ?
