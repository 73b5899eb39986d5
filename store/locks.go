package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrLocked is returned when another holder owns a lock.
var ErrLocked = errors.New("locked by another process")

// Lock takes the named lease for holder until ttl passes. It succeeds if the
// lock is free, expired, or already held by holder (which renews it). Leases
// rather than plain locks, so that a crashed process cannot block the others
// for longer than ttl.
func (s *Store) Lock(ctx context.Context, name, holder string, ttl time.Duration) error {
	now := s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		var cur, exp string
		err := tx.QueryRowContext(ctx, `SELECT holder, expires_at FROM locks WHERE name = ?`, name).Scan(&cur, &exp)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			expires, perr := parseTime(exp)
			if perr != nil {
				return perr
			}
			if cur != holder && expires.After(now) {
				return fmt.Errorf("lock %q: %w (%s, until %s)", name, ErrLocked, cur, expires.Format(time.RFC3339))
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO locks (name, holder, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at`,
			name, holder, formatTime(now.Add(ttl)))
		return err
	})
}

// Unlock releases the named lease if holder owns it.
func (s *Store) Unlock(ctx context.Context, name, holder string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM locks WHERE name = ? AND holder = ?`, name, holder)
	return err
}

// KeepLock renews holder's lease on name every ttl/3 until ctx ends, and
// returns nil then. If another holder took the lock meanwhile (the lease ran
// out while renewals failed, say), it returns that error at once: the caller
// no longer works alone and must stop. Other failures are retried at the
// next renewal, while the lease still runs.
func (s *Store) KeepLock(ctx context.Context, name, holder string, ttl time.Duration) error {
	t := time.NewTicker(ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := s.Lock(ctx, name, holder, ttl); errors.Is(err, ErrLocked) {
			return err
		}
	}
}
