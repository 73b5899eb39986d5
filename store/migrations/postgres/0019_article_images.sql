-- An article's image (the feed's media or enclosure, the page's og:image),
-- as a link: bulletin never fetches it. Pages and emails show it when
-- site.images is on; width and height are 0, and alt '', when not known.
ALTER TABLE articles ADD COLUMN image_url TEXT NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN image_width INTEGER NOT NULL DEFAULT 0;
ALTER TABLE articles ADD COLUMN image_height INTEGER NOT NULL DEFAULT 0;
ALTER TABLE articles ADD COLUMN image_alt TEXT NOT NULL DEFAULT '';
