package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/bulletin-app/bulletin/source"
)

// Article is a collected article as stored.
type Article struct {
	source.Article
	ID          int64
	ContentHash string
	// Seeded articles were already in a source when it was first read; they
	// are kept so they are not taken for new, but never go into an issue.
	Seeded      bool
	CollectedAt time.Time
	UpdatedAt   time.Time
}

// Outcome says what SaveArticle did.
type Outcome int

const (
	Unchanged Outcome = iota // the same article was stored already
	Inserted                 // a new article
	Updated                  // a known article whose content changed
)

func (o Outcome) String() string {
	return [...]string{"unchanged", "inserted", "updated"}[o]
}

// SaveArticle stores a by its Key: once, however often it is collected, and
// updated when its content changes. seeded marks a new article as one that
// must not be issued; it never changes an article already stored.
func (s *Store) SaveArticle(ctx context.Context, a source.Article, seeded bool) (Outcome, error) {
	now := formatTime(s.now())
	hash := a.ContentHash()
	out := Unchanged
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var id int64
		var old string
		err := tx.QueryRowContext(ctx, `SELECT id, content_hash FROM articles WHERE key = ?`, a.Key).Scan(&id, &old)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			out = Inserted
			_, err = tx.ExecContext(ctx, `INSERT INTO articles
				(key, url, title, author, source, origin, published_at, text, content_hash, seeded, collected_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				a.Key, a.URL, a.Title, a.Author, a.Source, a.Origin, nullTime(a.Published), a.Text, hash, seeded, now, now)
			return err
		case err != nil:
			return err
		case old == hash:
			return nil
		}
		out = Updated
		_, err = tx.ExecContext(ctx, `UPDATE articles SET url = ?, title = ?, author = ?, source = ?, origin = ?,
			published_at = ?, text = ?, content_hash = ?, updated_at = ? WHERE id = ?`,
			a.URL, a.Title, a.Author, a.Source, a.Origin, nullTime(a.Published), a.Text, hash, now, id)
		return err
	})
	return out, err
}

const articleColumns = `a.id, a.key, a.url, a.title, a.author, a.source, a.origin, a.published_at,
	a.text, a.content_hash, a.seeded, a.collected_at, a.updated_at`

func scanArticle(row interface{ Scan(...any) error }) (Article, error) {
	var a Article
	err := row.Scan(&a.ID, &a.Key, &a.URL, &a.Title, &a.Author, &a.Source, &a.Origin,
		scanTime{&a.Published}, &a.Text, &a.ContentHash, &a.Seeded, scanTime{&a.CollectedAt}, scanTime{&a.UpdatedAt})
	return a, err
}

// ArticlesToSummarize returns the articles that have no entry yet, or whose
// content changed since their entry was written, oldest first. Seeded
// articles are left out: they never go into an issue, so a summary of them
// would never be read (and may cost an LLM call).
func (s *Store) ArticlesToSummarize(ctx context.Context) ([]Article, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+articleColumns+` FROM articles a
		LEFT JOIN entries e ON e.article_id = a.id
		WHERE a.seeded = 0 AND (e.id IS NULL OR e.content_hash != a.content_hash)
		ORDER BY a.collected_at, a.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Article
	for rows.Next() {
		a, err := scanArticle(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
