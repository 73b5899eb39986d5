-- Collected articles (articles.go).

-- name: article-hash
-- Read without a lock: an article that did not change costs no write.
SELECT id, content_hash, image_url, image_width, image_height, image_alt FROM articles WHERE key = $1

-- name: article-insert
-- A new article. A known key is left alone, for article-for-update; a
-- concurrent insert of the same key waits for the other to end, then does
-- nothing.
INSERT INTO articles
    (key, url, title, author, source, origin, published_at, text, content_hash, seeded, collected_at, updated_at,
     image_url, image_width, image_height, image_alt)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
ON CONFLICT (key) DO NOTHING

-- name: article-for-update
-- Locks the row until the update is written: two collectors of one article
-- compare its hash one after the other.
SELECT id, content_hash, image_url, image_width, image_height, image_alt FROM articles WHERE key = $1 FOR UPDATE

-- name: article-update
UPDATE articles SET url = $1, title = $2, author = $3, source = $4, origin = $5,
    published_at = $6, text = $7, content_hash = $8, updated_at = $9,
    image_url = $10, image_width = $11, image_height = $12, image_alt = $13
WHERE id = $14

-- name: articles-to-summarize
-- The articles are found from the index articles_to_summarize and the
-- entries, then read: most have not changed, and their texts stay unread.
-- An entry left out of every issue is not summarized again.
SELECT a.id, a.key, a.url, a.title, a.author, a.source, a.origin, a.published_at,
    a.text, a.content_hash, a.seeded, a.collected_at, a.updated_at
FROM articles a
WHERE a.id IN (
    SELECT x.id FROM articles x LEFT JOIN entries e ON e.article_id = x.id
    WHERE NOT x.seeded AND (e.id IS NULL OR (e.content_hash <> x.content_hash AND e.dropped_at IS NULL)))
ORDER BY a.collected_at, a.id

-- name: article-known
SELECT count(*) FROM articles WHERE key = $1

-- name: article-image-update
-- An article whose text is unchanged may have a new image: it is kept
-- without a new summary, but stamped, for the pages that show it
-- (feed-changes). Arguments: url, width, height, alt, updated, id.
UPDATE articles SET image_url = $1, image_width = $2, image_height = $3, image_alt = $4, updated_at = $5
WHERE id = $6
