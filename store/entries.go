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
	now := s.timeArg(s.now())
	_, err := s.exec(ctx, qEntrySave, e.ArticleID, e.ContentHash, strings.Join(e.Summary, "\n"), e.Teaser, e.Method, now, now)
	if err != nil {
		return fmt.Errorf("save entry for article %d: %w", e.ArticleID, err)
	}
	return nil
}

// queryEntries runs one of the queries that list entries.
func (s *Store) queryEntries(ctx context.Context, id queryID, args ...any) ([]Entry, error) {
	rows, err := s.query(ctx, id, args...)
	if err != nil {
		return nil, err
	}
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
	return s.queryEntries(ctx, qEntriesUnissued)
}

// MarkDuplicate records that entry id tells the story of entry of; it then
// goes into no issue itself, and shows as another report beside of.
func (s *Store) MarkDuplicate(ctx context.Context, id, of int64) error {
	if id == of {
		return fmt.Errorf("entry %d cannot duplicate itself", id)
	}
	_, err := s.exec(ctx, qEntryMarkDuplicate, of, id)
	return err
}

// CreateIssue numbers a new issue and puts the given entries in it. Entries
// that another issue took meanwhile are left where they are; if that leaves
// none of several, the issue is not created and ErrNotFound is returned. No
// entries at all make an empty issue: the caller asked for one.
func (s *Store) CreateIssue(ctx context.Context, title func(number int) string, entryIDs []int64) (Issue, error) {
	var number int
	err := s.tx(ctx, func(tx runner) error {
		if _, err := tx.exec(ctx, qIssueLock); err != nil {
			return err
		}
		if err := tx.queryRow(ctx, qIssueNextNumber).Scan(&number); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, qIssueInsert, number, title(number), s.timeArg(s.now())); err != nil {
			return err
		}
		taken := 0
		for _, id := range entryIDs {
			res, err := tx.exec(ctx, qEntryTake, number, id)
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
	err := s.queryRow(ctx, qIssueGet, n).Scan(&is.Number, &is.Title, scanTime{&is.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return Issue{}, fmt.Errorf("issue %d: %w", n, ErrNotFound)
	}
	if err != nil {
		return Issue{}, fmt.Errorf("issue %d: %w", n, err)
	}
	is.Entries, err = s.queryEntries(ctx, qIssueEntries, n)
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
	rows, err := s.query(ctx, qIssueDuplicates, entries[0].IssueNumber)
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
	if err := s.queryRow(ctx, qIssueLatestNumber).Scan(&n); err != nil {
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
	rows, err := s.query(ctx, qIssueNumbers, limitArg(limit))
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
	return s.queryEntries(ctx, qEntriesIssued, limitArg(limit))
}

// PublishedVersion changes whenever what the feeds and archive show could
// have: an issue built, an issued entry re-summarized or given another
// report. A server compares it to notice a publish by another process.
func (s *Store) PublishedVersion(ctx context.Context) (string, error) {
	var issues, entries, dups int
	var updated time.Time
	err := s.queryRow(ctx, qPublishedVersion).Scan(&issues, &entries, &dups, scanTime{&updated})
	if err != nil {
		return "", fmt.Errorf("published version: %w", err)
	}
	last := ""
	if !updated.IsZero() {
		last = formatTime(updated)
	}
	return fmt.Sprintf("%d/%d/%d/%s", issues, entries, dups, last), nil
}
