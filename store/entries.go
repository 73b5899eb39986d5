package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Entry is a digest entry: an article's summary, as stored, with the article
// fields that feeds and emails show beside it.
type Entry struct {
	ID        int64
	ArticleID int64
	// ArticleKey is the article's stable identity; feed ids derive from it so
	// they survive a rebuilt database.
	ArticleKey string
	Title      string
	URL        string
	Author     string
	Source     string
	Published  time.Time // the article's, zero when unknown
	Summary    []string  // one sentence each
	Teaser     string
	Method     string
	// ContentHash is the hash of the article content the summary was made from.
	ContentHash string
	IssueNumber int // 0 until the entry goes into an issue
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Also are the other reports of the same story, merged into this entry.
	Also []Link
}

// Link is another place a story was told.
type Link struct {
	Title, URL, Source string
}

// Issue is one numbered edition of the newsletter.
type Issue struct {
	Number    int
	Title     string
	CreatedAt time.Time
	Entries   []Entry
}

// SaveEntry writes the entry for e.ArticleID, replacing an older summary of
// the same article but keeping the issue it is in.
func (s *Store) SaveEntry(ctx context.Context, e Entry) error {
	now := formatTime(s.now())
	_, err := s.db.ExecContext(ctx, `INSERT INTO entries
		(article_id, content_hash, summary, teaser, method, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (article_id) DO UPDATE SET content_hash = excluded.content_hash,
			summary = excluded.summary, teaser = excluded.teaser, method = excluded.method,
			-- Feeds show updated_at: it moves only when what readers see does.
			updated_at = CASE WHEN entries.summary != excluded.summary OR entries.teaser != excluded.teaser
				THEN excluded.updated_at ELSE entries.updated_at END`,
		e.ArticleID, e.ContentHash, strings.Join(e.Summary, "\n"), e.Teaser, e.Method, now, now)
	if err != nil {
		return fmt.Errorf("save entry for article %d: %w", e.ArticleID, err)
	}
	return nil
}

const entrySelect = `SELECT e.id, e.article_id, a.key, a.title, a.url, a.author, a.source, a.published_at,
	e.summary, e.teaser, e.method, e.content_hash, coalesce(e.issue_number, 0), e.created_at, e.updated_at
	FROM entries e JOIN articles a ON a.id = e.article_id `

// entryOrder puts the newest articles first, by publication when known.
const entryOrder = ` ORDER BY coalesce(a.published_at, a.collected_at) DESC, e.id DESC`

func queryEntries(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, where string, args ...any) ([]Entry, error) {
	rows, err := q.QueryContext(ctx, entrySelect+where+entryOrder, args...)
	if err != nil {
		return nil, err
	}
	return scanEntries(rows)
}

func scanEntries(rows *sql.Rows) ([]Entry, error) {
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var summary string
		if err := rows.Scan(&e.ID, &e.ArticleID, &e.ArticleKey, &e.Title, &e.URL, &e.Author, &e.Source,
			scanTime{&e.Published}, &summary, &e.Teaser, &e.Method, &e.ContentHash, &e.IssueNumber,
			scanTime{&e.CreatedAt}, scanTime{&e.UpdatedAt}); err != nil {
			return nil, err
		}
		if summary != "" {
			e.Summary = strings.Split(summary, "\n")
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// UnissuedEntries returns the entries not yet in an issue, newest first,
// leaving out articles seeded from a new source.
func (s *Store) UnissuedEntries(ctx context.Context) ([]Entry, error) {
	return queryEntries(ctx, s.db, `WHERE e.issue_number IS NULL AND e.duplicate_of IS NULL AND a.seeded = 0`)
}

// MarkDuplicate records that entry id tells the story of entry of; it then
// goes into no issue itself, and shows as another report beside of.
func (s *Store) MarkDuplicate(ctx context.Context, id, of int64) error {
	if id == of {
		return fmt.Errorf("entry %d cannot duplicate itself", id)
	}
	_, err := s.db.ExecContext(ctx, `UPDATE entries SET duplicate_of = ? WHERE id = ? AND issue_number IS NULL`, of, id)
	return err
}

// CreateIssue numbers a new issue and puts the given entries in it. Entries
// that another issue took meanwhile are left where they are; if that leaves
// none of several, the issue is not created and ErrNotFound is returned. No
// entries at all make an empty issue: the caller asked for one.
func (s *Store) CreateIssue(ctx context.Context, title func(number int) string, entryIDs []int64) (Issue, error) {
	var number int
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(number), 0) + 1 FROM issues`).Scan(&number); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO issues (number, title, created_at) VALUES (?, ?, ?)`,
			number, title(number), formatTime(s.now())); err != nil {
			return err
		}
		taken := 0
		for _, id := range entryIDs {
			res, err := tx.ExecContext(ctx, `UPDATE entries SET issue_number = ? WHERE id = ? AND issue_number IS NULL`, number, id)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			taken += int(n)
		}
		if taken == 0 && len(entryIDs) > 0 {
			return fmt.Errorf("create issue: no unissued entries: %w", ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return Issue{}, err
	}
	return s.Issue(ctx, number)
}

// Issue returns issue n with its entries.
func (s *Store) Issue(ctx context.Context, n int) (Issue, error) {
	var is Issue
	err := s.db.QueryRowContext(ctx, `SELECT number, title, created_at FROM issues WHERE number = ?`, n).
		Scan(&is.Number, &is.Title, scanTime{&is.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return Issue{}, fmt.Errorf("issue %d: %w", n, ErrNotFound)
	}
	if err != nil {
		return Issue{}, fmt.Errorf("issue %d: %w", n, err)
	}
	is.Entries, err = queryEntries(ctx, s.db, `WHERE e.issue_number = ?`, n)
	if err != nil {
		return Issue{}, fmt.Errorf("issue %d: %w", n, err)
	}
	if err := s.attachDuplicates(ctx, is.Entries); err != nil {
		return Issue{}, fmt.Errorf("issue %d: %w", n, err)
	}
	return is, nil
}

// attachDuplicates fills in the other reports of each entry's story.
func (s *Store) attachDuplicates(ctx context.Context, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	byID := make(map[int64]*Entry, len(entries))
	for i := range entries {
		byID[entries[i].ID] = &entries[i]
	}
	rows, err := s.db.QueryContext(ctx, `SELECT e.duplicate_of, a.title, a.url, a.source
		FROM entries e JOIN articles a ON a.id = e.article_id
		WHERE e.duplicate_of IN (SELECT id FROM entries WHERE issue_number = ?)
		ORDER BY a.collected_at, e.id`, entries[0].IssueNumber)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var of int64
		var l Link
		if err := rows.Scan(&of, &l.Title, &l.URL, &l.Source); err != nil {
			return err
		}
		if e := byID[of]; e != nil {
			e.Also = append(e.Also, l)
		}
	}
	return rows.Err()
}

// LatestIssue returns the issue with the highest number.
func (s *Store) LatestIssue(ctx context.Context) (Issue, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(number), 0) FROM issues`).Scan(&n); err != nil {
		return Issue{}, err
	}
	if n == 0 {
		return Issue{}, fmt.Errorf("latest issue: %w", ErrNotFound)
	}
	return s.Issue(ctx, n)
}

// Issues returns the newest issues with their entries, newest first; limit
// <= 0 returns them all.
func (s *Store) Issues(ctx context.Context, limit int) ([]Issue, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT number FROM issues ORDER BY number DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	var numbers []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		numbers = append(numbers, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Issue, 0, len(numbers))
	for _, n := range numbers {
		is, err := s.Issue(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, is)
	}
	return out, nil
}

// IssuedEntries returns the newest entries that are in an issue; limit <= 0
// returns them all.
func (s *Store) IssuedEntries(ctx context.Context, limit int) ([]Entry, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.db.QueryContext(ctx, entrySelect+`WHERE e.issue_number IS NOT NULL`+entryOrder+` LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	return scanEntries(rows)
}

// PublishedVersion changes whenever what the feeds and archive show could
// have: an issue built, an issued entry re-summarized or given another
// report. A server compares it to notice a publish by another process.
func (s *Store) PublishedVersion(ctx context.Context) (string, error) {
	var issues, entries, dups int
	var updated sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT coalesce(max(number), 0) FROM issues),
		(SELECT count(*) FROM entries WHERE issue_number IS NOT NULL),
		(SELECT count(*) FROM entries WHERE duplicate_of IS NOT NULL),
		(SELECT max(updated_at) FROM entries WHERE issue_number IS NOT NULL)`).Scan(&issues, &entries, &dups, &updated)
	if err != nil {
		return "", fmt.Errorf("published version: %w", err)
	}
	return fmt.Sprintf("%d/%d/%d/%s", issues, entries, dups, updated.String), nil
}
