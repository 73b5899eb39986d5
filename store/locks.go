package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/bulletin-app/bulletin/internal/proc"
)

// ErrLocked is returned when another holder owns a lock.
var ErrLocked = errors.New("locked by another process")

// Lock takes the named lease for holder until ttl passes. It succeeds if the
// lock is free, expired, or already held by holder (which renews it), or
// if its holder was a process of this host that has ended (see TakeLock).
// Leases rather than plain locks, so that a crashed process cannot block
// the others for longer than ttl. Taking it is one statement, atomic in
// either database however many processes try at once.
func (s *Store) Lock(ctx context.Context, name, holder string, ttl time.Duration) error {
	_, err := s.TakeLock(ctx, name, holder, ttl)
	return err
}

// TakeLock is Lock, and returns the holder it took the lease from, if it
// took it from a dead one: a process on this host (the same host name,
// kernel boot and pid namespace) whose pid no process has any more, or a
// later one has (its start time differs). Every lease records the host,
// pid and start time of the process that took it, for this. A holder on
// another host, or one that cannot be told, keeps the lease until it runs
// out.
func (s *Store) TakeLock(ctx context.Context, name, holder string, ttl time.Duration) (deadHolder string, err error) {
	return s.lockAs(ctx, name, holder, ttl, proc.Self())
}

func (s *Store) lockAs(ctx context.Context, name, holder string, ttl time.Duration, me proc.Process) (string, error) {
	now := s.now()
	for range 3 {
		res, err := s.exec(ctx, qLockTake, name, holder, s.timeArg(now.Add(ttl)), me.Host, me.PID, me.Start, s.timeArg(now))
		if err != nil {
			return "", fmt.Errorf("lock %q: %w", name, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return "", err
		}
		// Held by another: whether it is alive, and by whom, for the
		// message.
		var cur string
		var expires time.Time
		var p proc.Process
		err = s.queryRow(ctx, qLockHolder, name).Scan(&cur, scanTime{&expires}, &p.Host, &p.PID, &p.Start)
		if errors.Is(err, sql.ErrNoRows) {
			continue // released meanwhile: try again
		}
		if err != nil {
			return "", fmt.Errorf("lock %q: %w", name, err)
		}
		if proc.Gone(p) {
			res, err := s.exec(ctx, qLockTakeOver, holder, s.timeArg(now.Add(ttl)), me.Host, me.PID, me.Start, name, cur)
			if err != nil {
				return "", fmt.Errorf("lock %q: %w", name, err)
			}
			if n, err := res.RowsAffected(); err != nil || n == 1 {
				return cur, err
			}
			continue // another took it over first
		}
		who := cur
		if p.PID > 0 {
			who = fmt.Sprintf("%s, pid %d on %s", cur, p.PID, p.Host)
		}
		return "", fmt.Errorf("lock %q: %w (%s, until %s)", name, ErrLocked, who, expires.Format(time.RFC3339))
	}
	return "", fmt.Errorf("lock %q: %w (taken and released again while trying)", name, ErrLocked)
}

// Unlock releases the named lease if holder owns it.
func (s *Store) Unlock(ctx context.Context, name, holder string) error {
	_, err := s.exec(ctx, qLockRelease, name, holder)
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
