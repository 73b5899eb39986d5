-- A send's chunks are no longer all 128 subscriber ids wide: the first
-- planning of an issue picks a width from the span of its subscriber ids
-- (sharing.go, chunkSize), so that a small list is cut into chunks enough
-- for several senders to share it, and every chunk of the issue has that
-- width. Chunks planned before were 128 wide.
ALTER TABLE send_chunks ADD COLUMN size BIGINT NOT NULL DEFAULT 128;
