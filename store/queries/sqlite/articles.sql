-- Collected articles (articles.go).

-- name: article-hash
-- Read without a lock: an article that did not change costs no write.
SELECT id, content_hash, image_url, image_width, image_height, image_alt FROM articles WHERE key = ?

-- name: article-insert
-- A new article. A known key is left alone, for article-for-update.
INSERT INTO articles
    (key, url, title, author, source, origin, published_at, text, content_hash, seeded, collected_at, updated_at,
     image_url, image_width, image_height, image_alt)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (key) DO NOTHING

-- name: article-for-update
-- The transaction holds the write lock already.
SELECT id, content_hash, image_url, image_width, image_height, image_alt FROM articles WHERE key = ?

-- name: article-update
UPDATE articles SET url = ?, title = ?, author = ?, source = ?, origin = ?,
    published_at = ?, text = ?, content_hash = ?, updated_at = ?,
    image_url = ?, image_width = ?, image_height = ?, image_alt = ?
WHERE id = ?

-- name: articles-to-summarize
-- The articles are found from the index articles_to_summarize and the
-- entries, then read: most have not changed, and their texts stay unread.
-- An entry left out of every issue is not summarized again.
SELECT a.id, a.key, a.url, a.title, a.author, a.source, a.origin, a.published_at,
    a.text, a.content_hash, a.seeded, a.collected_at, a.updated_at
FROM articles a
WHERE a.id IN (
    SELECT x.id FROM articles x LEFT JOIN entries e ON e.article_id = x.id
    WHERE x.seeded = 0 AND (e.id IS NULL OR (e.content_hash != x.content_hash AND e.dropped_at IS NULL)))
ORDER BY a.collected_at, a.id

-- name: article-known
SELECT count(*) FROM articles WHERE key = ?

-- name: article-image-update
-- An article whose text is unchanged may have a new image: it is kept
-- without a new summary, but stamped, for the pages that show it
-- (feed-changes). Arguments: url, width, height, alt, updated, id.
UPDATE articles SET image_url = ?, image_width = ?, image_height = ?, image_alt = ?, updated_at = ?
WHERE id = ?
