-- Named leases (locks.go).

-- name: lock-take
-- Takes the lease if it is free, expired, or the holder's already (a
-- renewal), in one statement. Arguments: name, holder, expiry, now.
INSERT INTO locks (name, holder, expires_at) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
WHERE locks.holder = excluded.holder OR locks.expires_at <= ?

-- name: lock-holder
SELECT holder, expires_at FROM locks WHERE name = ?

-- name: lock-release
DELETE FROM locks WHERE name = ? AND holder = ?
