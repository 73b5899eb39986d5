-- Collected articles (articles.go).

-- name: article-insert
-- A new article. A known key is left alone, for article-for-update.
INSERT INTO articles
    (key, url, title, author, source, origin, published_at, text, content_hash, seeded, collected_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (key) DO NOTHING

-- name: article-for-update
-- The transaction holds the write lock already.
SELECT id, content_hash FROM articles WHERE key = ?

-- name: article-update
UPDATE articles SET url = ?, title = ?, author = ?, source = ?, origin = ?,
    published_at = ?, text = ?, content_hash = ?, updated_at = ?
WHERE id = ?

-- name: articles-to-summarize
SELECT a.id, a.key, a.url, a.title, a.author, a.source, a.origin, a.published_at,
    a.text, a.content_hash, a.seeded, a.collected_at, a.updated_at
FROM articles a
LEFT JOIN entries e ON e.article_id = a.id
-- An entry left out of every issue is not summarized again.
WHERE a.seeded = 0 AND (e.id IS NULL OR (e.content_hash != a.content_hash AND e.dropped_at IS NULL))
ORDER BY a.collected_at, a.id

-- name: article-known
SELECT count(*) FROM articles WHERE key = ?
