-- The desk's users and sessions (admin.go), as queries/sqlite/admin.sql has them.

-- name: admin-user-add
INSERT INTO admin_users (name, email, role, password_hash, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (name) DO NOTHING

-- name: admin-user-by-name
SELECT id, name, email, role, password_hash, created_at, updated_at, last_sign_in
FROM admin_users WHERE name = $1

-- name: admin-user-by-id
SELECT id, name, email, role, password_hash, created_at, updated_at, last_sign_in
FROM admin_users WHERE id = $1

-- name: admin-users
SELECT id, name, email, role, password_hash, created_at, updated_at, last_sign_in
FROM admin_users ORDER BY name

-- name: admin-users-admins
-- The admins' ids, locked by the transaction that removes or demotes one:
-- of two admins removing each other at once, the second sees the first
-- gone, and is refused as the last.
SELECT id FROM admin_users WHERE role = 'admin' ORDER BY id FOR UPDATE

-- name: admin-user-set-password
UPDATE admin_users SET password_hash = $1, updated_at = $2 WHERE id = $3

-- name: admin-user-set-role
UPDATE admin_users SET role = $1, updated_at = $2 WHERE id = $3

-- name: admin-user-set-email
UPDATE admin_users SET email = $1, updated_at = $2 WHERE id = $3

-- name: admin-user-signed-in
UPDATE admin_users SET last_sign_in = $1 WHERE id = $2

-- name: admin-user-remove
-- Its sessions go with it (ON DELETE CASCADE).
DELETE FROM admin_users WHERE id = $1

-- name: admin-session-add
INSERT INTO admin_sessions (id, secret_hash, user_id, created_at, seen_at, client, user_agent)
VALUES ($1, $2, $3, $4, $5, $6, $7)

-- name: admin-session-get
SELECT s.id, s.secret_hash, s.created_at, s.seen_at, s.client, s.user_agent,
    u.id, u.name, u.email, u.role, u.password_hash, u.created_at, u.updated_at, u.last_sign_in
FROM admin_sessions s JOIN admin_users u ON u.id = s.user_id
WHERE s.id = $1

-- name: admin-session-seen
UPDATE admin_sessions SET seen_at = $1 WHERE id = $2

-- name: admin-session-remove
DELETE FROM admin_sessions WHERE id = $1

-- name: admin-sessions-remove-user
-- Every session of a user but one (a password change keeps the one that
-- made it); '' keeps none.
DELETE FROM admin_sessions WHERE user_id = $1 AND id <> $2

-- name: admin-sessions-expire
-- Arguments: created before (absolute), seen before (idle).
DELETE FROM admin_sessions WHERE created_at < $1 OR seen_at < $2

-- name: admin-sessions-count
SELECT count(*) FROM admin_sessions WHERE user_id = $1
