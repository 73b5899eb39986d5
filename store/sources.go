package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/bulletin-app/bulletin/source"
)

// NamedSourceState is one source's fetch state, for listings.
type NamedSourceState struct {
	Name string
	source.State
}

const sourceStateColumns = `name, etag, last_modified, last_fetch, last_success, failures,
	first_failure, failing_since, next_attempt, last_error`

// SourceState returns the fetch state saved for the named source. A source
// never saved gets the zero State and no error: that is how a first run is
// recognised (State.FirstRun).
func (s *Store) SourceState(ctx context.Context, name string) (source.State, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+sourceStateColumns+` FROM source_states WHERE name = ?`, name)
	st, err := scanSourceState(row)
	if errors.Is(err, sql.ErrNoRows) {
		return source.State{}, nil
	}
	if err != nil {
		return source.State{}, fmt.Errorf("source state %q: %w", name, err)
	}
	return st.State, nil
}

// SaveSourceState stores the state a fetch of the named source returned.
func (s *Store) SaveSourceState(ctx context.Context, name string, st source.State) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO source_states (`+sourceStateColumns+`, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET
			etag = excluded.etag, last_modified = excluded.last_modified,
			last_fetch = excluded.last_fetch, last_success = excluded.last_success,
			failures = excluded.failures, first_failure = excluded.first_failure,
			failing_since = excluded.failing_since, next_attempt = excluded.next_attempt,
			last_error = excluded.last_error, updated_at = excluded.updated_at`,
		name, st.ETag, st.LastModified, nullTime(st.LastFetch), nullTime(st.LastSuccess), st.Failures,
		nullTime(st.FirstFailure), nullTime(st.FailingSince), nullTime(st.NextAttempt), st.LastError,
		formatTime(s.now()))
	if err != nil {
		return fmt.Errorf("save source state %q: %w", name, err)
	}
	return nil
}

// ListSourceStates returns the saved state of every source, by name.
func (s *Store) ListSourceStates(ctx context.Context) ([]NamedSourceState, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+sourceStateColumns+` FROM source_states ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list source states: %w", err)
	}
	defer rows.Close()
	var out []NamedSourceState
	for rows.Next() {
		st, err := scanSourceState(rows)
		if err != nil {
			return nil, fmt.Errorf("list source states: %w", err)
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// KnownArticle reports whether an article with this key is stored; it is
// what source.UpstreamFeed.Known asks, so teaser items already stored are
// not fetched again.
func (s *Store) KnownArticle(ctx context.Context, key string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM articles WHERE key = ?`, key).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("known article: %w", err)
	}
	return n > 0, nil
}

func scanSourceState(row interface{ Scan(...any) error }) (NamedSourceState, error) {
	var st NamedSourceState
	var lastFetch, lastSuccess, firstFailure, failingSince, nextAttempt sql.NullString
	err := row.Scan(&st.Name, &st.ETag, &st.LastModified, &lastFetch, &lastSuccess, &st.Failures,
		&firstFailure, &failingSince, &nextAttempt, &st.LastError)
	if err != nil {
		return st, err
	}
	times := []struct {
		src sql.NullString
		dst *time.Time
	}{
		{lastFetch, &st.LastFetch}, {lastSuccess, &st.LastSuccess}, {firstFailure, &st.FirstFailure},
		{failingSince, &st.FailingSince}, {nextAttempt, &st.NextAttempt},
	}
	for _, t := range times {
		if *t.dst, err = parseTime(t.src.String); err != nil {
			return st, err
		}
	}
	return st, nil
}
