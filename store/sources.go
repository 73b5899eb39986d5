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

// SourceState returns the fetch state saved for the named source. A source
// never saved gets the zero State and no error: that is how a first run is
// recognised (State.FirstRun).
func (s *Store) SourceState(ctx context.Context, name string) (source.State, error) {
	row := s.queryRow(ctx, qSourceState, name)
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
	_, err := s.exec(ctx, qSourceStateSave,
		name, st.ETag, st.LastModified, s.nullTimeArg(st.LastFetch), s.nullTimeArg(st.LastSuccess), st.Failures,
		s.nullTimeArg(st.FirstFailure), s.nullTimeArg(st.FailingSince), s.nullTimeArg(st.NextAttempt), st.LastError,
		st.CutMark, s.timeArg(s.now()))
	if err != nil {
		return fmt.Errorf("save source state %q: %w", name, err)
	}
	return nil
}

// ListSourceStates returns the saved state of every source, by name.
func (s *Store) ListSourceStates(ctx context.Context) ([]NamedSourceState, error) {
	rows, err := s.query(ctx, qSourceStates)
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
	err := s.queryRow(ctx, qArticleKnown, key).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("known article: %w", err)
	}
	return n > 0, nil
}

func scanSourceState(row interface{ Scan(...any) error }) (NamedSourceState, error) {
	var st NamedSourceState
	err := row.Scan(&st.Name, &st.ETag, &st.LastModified, scanTime{&st.LastFetch}, scanTime{&st.LastSuccess}, &st.Failures,
		scanTime{&st.FirstFailure}, scanTime{&st.FailingSince}, scanTime{&st.NextAttempt}, &st.LastError, &st.CutMark)
	return st, err
}

// FileStamps returns what the last collects of the folder source saw of
// its files, by path, for source.Folder.Seen.
func (s *Store) FileStamps(ctx context.Context, sourceName string) (map[string]source.FileStamp, error) {
	rows, err := s.query(ctx, qFolderFiles, sourceName)
	if err != nil {
		return nil, fmt.Errorf("file stamps of %q: %w", sourceName, err)
	}
	defer rows.Close()
	out := map[string]source.FileStamp{}
	for rows.Next() {
		var st source.FileStamp
		var ns int64
		if err := rows.Scan(&st.Path, &st.Size, &ns, &st.Hash, scanTime{&st.Checked}); err != nil {
			return nil, fmt.Errorf("file stamps of %q: %w", sourceName, err)
		}
		st.ModTime = time.Unix(0, ns)
		out[st.Path] = st
	}
	return out, rows.Err()
}

// SaveFileStamps records the stamps of the files a collect of the folder
// source read, in one transaction.
func (s *Store) SaveFileStamps(ctx context.Context, sourceName string, stamps []source.FileStamp) error {
	if len(stamps) == 0 {
		return nil
	}
	err := s.tx(ctx, func(tx runner) error {
		save := tx.stmt(ctx, qFolderFileSave)
		for _, st := range stamps {
			if _, err := save.ExecContext(ctx, sourceName, st.Path, st.Size, st.ModTime.UnixNano(), st.Hash, s.timeArg(st.Checked)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save file stamps of %q: %w", sourceName, err)
	}
	return nil
}
