-- The width of a send's chunks (see migrations/postgres/0034). SQLite
-- leaves send_chunks empty.
ALTER TABLE send_chunks ADD COLUMN size INTEGER NOT NULL DEFAULT 128;
