-- An entry that tells a story another entry told already (a copy, or an
-- updated version of an article already issued) points at that entry
-- instead of going into an issue of its own.
ALTER TABLE entries ADD COLUMN duplicate_of INTEGER REFERENCES entries(id);
