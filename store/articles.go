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
	hash := a.ContentHash()
	// Most articles of a collect are known and unchanged: a read settles
	// them without taking the write lock. The transaction below checks
	// again, for a writer that came in between.
	im := a.Image
	var known int64
	var stored string
	var storedImage source.Image
	if err := s.queryRow(ctx, qArticleHash, a.Key).Scan(append([]any{&known, &stored}, imageColumns(&storedImage)...)...); err == nil && stored == hash && storedImage == im {
		return Unchanged, nil
	} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Unchanged, err
	}
	out := Unchanged
	err := s.tx(ctx, func(tx runner) error {
		// Stamped under the lock, as in SaveEntry.
		now := s.timeArg(s.now())
		res, err := tx.exec(ctx, qArticleInsert, a.Key, a.URL, a.Title, a.Author, a.Source, a.Origin,
			s.nullTimeArg(a.Published), a.Text, hash, seeded, now, now, im.URL, im.Width, im.Height, im.Alt)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			out = Inserted
			return err
		}
		var id int64
		var old string
		var oldImage source.Image
		if err := tx.queryRow(ctx, qArticleForUpdate, a.Key).Scan(append([]any{&id, &old}, imageColumns(&oldImage)...)...); err != nil {
			return err
		}
		if old == hash {
			if oldImage == im {
				return nil
			}
			// The same story with another image: no new summary, but the
			// pages that show it are published again (updated_at).
			_, err := tx.exec(ctx, qArticleImageUpdate, im.URL, im.Width, im.Height, im.Alt, now, id)
			return err
		}
		out = Updated
		_, err = tx.exec(ctx, qArticleUpdate, a.URL, a.Title, a.Author, a.Source, a.Origin,
			s.nullTimeArg(a.Published), a.Text, hash, now, im.URL, im.Width, im.Height, im.Alt, id)
		return err
	})
	return out, err
}

// imageColumns are the scan targets of an article's image columns
// (image_url, image_width, image_height, image_alt).
func imageColumns(im *source.Image) []any {
	return []any{&im.URL, &im.Width, &im.Height, &im.Alt}
}

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
	rows, err := s.query(ctx, qArticlesToSummarize)
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
