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
	err := s.queryRow(ctx, qCacheGet, key).Scan(&v)
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
	_, err := s.exec(ctx, qCachePut, key, val, s.timeArg(s.now()))
	if err != nil {
		return fmt.Errorf("summary cache put: %w", err)
	}
	return nil
}
