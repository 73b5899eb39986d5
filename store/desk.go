package store

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
)

// SubscriberQuery selects a page of subscribers, newest first. Its zero
// value is the first page of every subscriber.
type SubscriberQuery struct {
	Status SubscriberStatus // "": every status
	// Search, when not empty, keeps the subscribers whose address or name
	// starts with it, or, when it starts with "@", whose address's domain
	// does; letters compare without regard to ASCII case.
	Search string
	// Before is the id the page starts below: 0 for the first page, the
	// last id of a page for the next.
	Before int64
	Limit  int // at most this many (1 to 500); 0: 50
}

// maxRune is the highest code point: a string that starts with p sorts
// from p (included) to p followed by it (excluded), byte by byte.
const maxRune = "\U0010FFFF"

// SubscriberPage returns the page q selects, and whether more follow it.
// Every query is a range of one index, newest first from q.Before: it
// takes as long at the 100,000th subscriber as at the first (keyset
// paging), and a search reads the index entries that match, not the
// table.
func (s *Store) SubscriberPage(ctx context.Context, q SubscriberQuery) (subs []Subscriber, more bool, err error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	before := q.Before
	if before <= 0 {
		before = math.MaxInt64
	}
	search := foldASCII(strings.TrimSpace(q.Search))
	var id queryID
	var args []any
	switch {
	case search == "" && q.Status == "":
		id, args = qSubscribersPage, []any{before, limit + 1}
	case search == "":
		id, args = qSubscribersPageStatus, []any{string(q.Status), before, limit + 1}
	case strings.HasPrefix(search, "@") && len(search) > 1:
		d := search[1:]
		id, args = qSubscribersSearchDomain, []any{d, d + maxRune, string(q.Status), before, limit + 1}
	default:
		id, args = qSubscribersSearch, []any{search, search + maxRune, string(q.Status), before, limit + 1}
	}
	rows, err := s.query(ctx, id, args...)
	if err != nil {
		return nil, false, fmt.Errorf("subscribers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		sub, err := scanSubscriber(rows)
		if err != nil {
			return nil, false, fmt.Errorf("subscribers: %w", err)
		}
		subs = append(subs, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("subscribers: %w", err)
	}
	if len(subs) > limit {
		return subs[:limit], true, nil
	}
	return subs, false, nil
}

// foldASCII puts A-Z in lower case and leaves the rest: the case folding
// both databases compare addresses by.
func foldASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// DayCount is a count on one UTC day.
type DayCount struct {
	Day   time.Time // midnight UTC
	Count int
}

// ConfirmedByDay returns the confirmed subscribers at the end of each UTC
// day of the last days (today included, oldest first). It is drawn from
// each subscriber's confirmation time and, for those who left since
// (unsubscribed, bounced, complained), the time of their last change,
// counted back from the confirmed subscribers now. All three are running
// tallies (0030_tallies.sql), read in one statement: the chart costs a row
// per day, whatever the number of subscribers.
func (s *Store) ConfirmedByDay(ctx context.Context, days int) ([]DayCount, error) {
	if days < 1 {
		days = 1
	}
	now := s.now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	since := today.AddDate(0, 0, -(days - 1))
	rows, err := s.query(ctx, qSubscribersGrowth, since.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("growth: %w", err)
	}
	defer rows.Close()
	joined, left := map[string]int{}, map[string]int{}
	n := 0
	for rows.Next() {
		var kind, day string
		var c int
		if err := rows.Scan(&kind, &day, &c); err != nil {
			return nil, fmt.Errorf("growth: %w", err)
		}
		switch kind {
		case "joined":
			joined[day] = c
		case "left":
			left[day] = c
		case "now":
			n = c
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("growth: %w", err)
	}
	// From now back: before a day, the subscribers it confirmed were not
	// there yet, and those who left on it still were.
	out := make([]DayCount, days)
	for i := days - 1; i >= 0; i-- {
		day := since.AddDate(0, 0, i)
		// Times set by clocks that disagree could take it below zero.
		out[i] = DayCount{Day: day, Count: max(n, 0)}
		key := day.Format(time.DateOnly)
		n += left[key] - joined[key]
	}
	return out, nil
}

// SubscriberDeliveries returns a subscriber's ledger rows, newest issue
// first, at most limit.
func (s *Store) SubscriberDeliveries(ctx context.Context, id int64, limit int) ([]Delivery, error) {
	rows, err := s.query(ctx, qSubscriberDeliveries, id, max(limit, 1))
	if err != nil {
		return nil, fmt.Errorf("deliveries to subscriber %d: %w", id, err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("deliveries to subscriber %d: %w", id, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// SubscriberBounces returns the bounces and complaints recorded on a
// subscriber's deliveries, newest first, at most limit.
func (s *Store) SubscriberBounces(ctx context.Context, id int64, limit int) ([]BounceEvent, error) {
	rows, err := s.query(ctx, qSubscriberBounces, id, max(limit, 1))
	if err != nil {
		return nil, fmt.Errorf("bounces of subscriber %d: %w", id, err)
	}
	defer rows.Close()
	var out []BounceEvent
	for rows.Next() {
		var e BounceEvent
		if err := rows.Scan(&e.IssueNumber, &e.SubscriberID, &e.Email, &e.Kind, &e.Source, &e.Status, &e.Detail,
			scanTime{&e.ReportedAt}, scanTime{&e.CreatedAt}); err != nil {
			return nil, fmt.Errorf("bounces of subscriber %d: %w", id, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// SourceArticles is what the store holds of one source's articles.
type SourceArticles struct {
	Count         int
	LastCollected time.Time
}

// ArticlesBySource counts the stored articles of each source, by name.
func (s *Store) ArticlesBySource(ctx context.Context) (map[string]SourceArticles, error) {
	rows, err := s.query(ctx, qSourceArticles)
	if err != nil {
		return nil, fmt.Errorf("articles by source: %w", err)
	}
	defer rows.Close()
	out := map[string]SourceArticles{}
	for rows.Next() {
		var name string
		var a SourceArticles
		if err := rows.Scan(&name, &a.Count, scanTime{&a.LastCollected}); err != nil {
			return nil, fmt.Errorf("articles by source: %w", err)
		}
		out[name] = a
	}
	return out, rows.Err()
}

// PausedSource is a source an editor paused: collect skips it.
type PausedSource struct {
	Name     string
	PausedAt time.Time
	PausedBy string
}

// PauseSource pauses the named source for actor, and records it in the
// audit log. A source paused already stays as it was, and changed is
// false.
func (s *Store) PauseSource(ctx context.Context, name, actor string) (changed bool, err error) {
	err = s.tx(ctx, func(tx runner) error {
		res, err := tx.exec(ctx, qSourcePause, name, s.timeArg(s.now()), actor)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		changed = true
		return tx.audit(ctx, AuditEntry{Actor: actor, Action: AuditSourcePause, Source: name})
	})
	if err != nil {
		return false, fmt.Errorf("pause source %s: %w", name, err)
	}
	return changed, nil
}

// ResumeSource ends the named source's pause, and records it in the audit
// log; changed is false if it was not paused.
func (s *Store) ResumeSource(ctx context.Context, name, actor string) (changed bool, err error) {
	err = s.tx(ctx, func(tx runner) error {
		res, err := tx.exec(ctx, qSourceResume, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		changed = true
		return tx.audit(ctx, AuditEntry{Actor: actor, Action: AuditSourceResume, Source: name})
	})
	if err != nil {
		return false, fmt.Errorf("resume source %s: %w", name, err)
	}
	return changed, nil
}

// PausedSources returns the paused sources, by name.
func (s *Store) PausedSources(ctx context.Context) (map[string]PausedSource, error) {
	rows, err := s.query(ctx, qSourcesPaused)
	if err != nil {
		return nil, fmt.Errorf("paused sources: %w", err)
	}
	defer rows.Close()
	out := map[string]PausedSource{}
	for rows.Next() {
		var p PausedSource
		if err := rows.Scan(&p.Name, scanTime{&p.PausedAt}, &p.PausedBy); err != nil {
			return nil, fmt.Errorf("paused sources: %w", err)
		}
		out[p.Name] = p
	}
	return out, rows.Err()
}

// Audit actions of sources.
const (
	AuditSourcePause  = "source.pause"  // collect skips it from now on
	AuditSourceResume = "source.resume" // collect reads it again
)
