-- Named leases (locks.go).

-- name: lock-take
-- Takes the lease if it is free, expired, or the holder's already (a
-- renewal), in one statement: the conflicting row is locked while its
-- condition is checked. Arguments: name, holder, expiry, now.
INSERT INTO locks (name, holder, expires_at) VALUES ($1, $2, $3)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
WHERE locks.holder = excluded.holder OR locks.expires_at <= $4

-- name: lock-holder
SELECT holder, expires_at FROM locks WHERE name = $1

-- name: lock-release
DELETE FROM locks WHERE name = $1 AND holder = $2
