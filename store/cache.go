package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// CacheGet returns the cached summary stored under key, and whether there is
// one.
func (s *Store) CacheGet(ctx context.Context, key string) ([]byte, bool, error) {
	var v []byte
	err := s.db.QueryRowContext(ctx, `SELECT value FROM summary_cache WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("summary cache get: %w", err)
	}
	return v, true, nil
}

// CachePut stores val under key, replacing what was there.
func (s *Store) CachePut(ctx context.Context, key string, val []byte) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO summary_cache (key, value, created_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, created_at = excluded.created_at`,
		key, val, formatTime(s.now()))
	if err != nil {
		return fmt.Errorf("summary cache put: %w", err)
	}
	return nil
}
