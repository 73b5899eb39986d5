-- Values every process on the database must agree on (settings.go): on
-- PostgreSQL, the key that signs subscription links, which replicas on
-- different hosts could not share from their own data folders.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
