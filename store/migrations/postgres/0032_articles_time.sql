-- The entries newest first, as the stories and duplicates compare a new
-- entry with the latest issued ones (entries-issued): read in the order of
-- this index, a window of 5,000 stops at its 5,000th row, where without it
-- every issued entry was read and sorted, at every publish.
CREATE INDEX articles_time ON articles ((coalesce(published_at, collected_at)));
