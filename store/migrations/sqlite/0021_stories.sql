-- Stories that connect across issues (docs/stories.md). names are the
-- people and other proper names an entry's article is about, one a line,
-- as the summarizer found them; earlier_id is the entry of an earlier
-- issue whose story this one continues, and story_id the first entry of
-- that story, which names its page (/stories/<id>/). Both stay NULL for
-- an entry that continues nothing.
ALTER TABLE entries ADD COLUMN names TEXT NOT NULL DEFAULT '';
ALTER TABLE entries ADD COLUMN earlier_id INTEGER REFERENCES entries(id);
ALTER TABLE entries ADD COLUMN story_id INTEGER REFERENCES entries(id);
CREATE INDEX entries_story ON entries(story_id, feed_seq) WHERE story_id IS NOT NULL;
