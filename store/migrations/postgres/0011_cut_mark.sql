-- The newest item fetch.max_items left out of a feed that was never
-- collected, when that was last reported (source.State.CutMark): the same
-- cut is not reported at every fetch.
ALTER TABLE source_states ADD COLUMN cut_mark TEXT NOT NULL DEFAULT '';
