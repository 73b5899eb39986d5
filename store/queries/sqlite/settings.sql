-- Values shared by every process on the database (settings.go).

-- name: setting-keep
-- The first value put under a name stays: of processes starting at once,
-- one's is kept. Arguments: name, value.
INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING

-- name: setting-put
INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value

-- name: setting-get
SELECT value FROM settings WHERE name = ?
