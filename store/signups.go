package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Signup is a sign-up waiting in the queue for its confirmation email.
type Signup struct {
	ID int64
	// Kind is the email it waits for: SignupConfirm, the confirmation
	// link of a sign-up, or SignupWelcome, the welcome after it.
	Kind        SignupKind
	Email       string
	Name        string
	RequestedAt time.Time
	Attempts    int // attempts that failed so far
}

// SignupKind is the email a row of the sign-up queue waits for.
type SignupKind string

const (
	SignupConfirm SignupKind = "confirm" // the confirmation link of a sign-up
	SignupWelcome SignupKind = "welcome" // the welcome after a confirmation
)

// QueueSignup puts a sign-up in the queue of confirmations to send, unless
// the queue holds max sign-ups already (max <= 0: no bound); queued is
// false then. An address already waiting keeps its place, and the call
// reports it queued: the work is the same whoever the address belongs to.
func (s *Store) QueueSignup(ctx context.Context, email, name string, max int) (queued bool, err error) {
	if max > 0 {
		var n int
		if err := s.queryRow(ctx, qSignupsCount).Scan(&n); err != nil {
			return false, fmt.Errorf("queue sign-up: %w", err)
		}
		if n >= max {
			return false, nil
		}
	}
	now := s.timeArg(s.now())
	if _, err := s.exec(ctx, qSignupAdd, string(SignupConfirm), email, name, now, now); err != nil {
		return false, fmt.Errorf("queue sign-up: %w", err)
	}
	return true, nil
}

// QueueWelcome puts the welcome email of a subscriber who just confirmed
// in the queue. It is not bounded as sign-ups are: each follows a
// confirmation, which was.
func (s *Store) QueueWelcome(ctx context.Context, email, name string) error {
	now := s.timeArg(s.now())
	if _, err := s.exec(ctx, qSignupAdd, string(SignupWelcome), email, name, now, now); err != nil {
		return fmt.Errorf("queue welcome: %w", err)
	}
	return nil
}

// CountSignups returns how many emails (confirmations and welcomes) wait
// in the queue.
func (s *Store) CountSignups(ctx context.Context) (int, error) {
	var n int
	if err := s.queryRow(ctx, qSignupsCountAll).Scan(&n); err != nil {
		return 0, fmt.Errorf("count sign-ups: %w", err)
	}
	return n, nil
}

// ClaimSignups claims up to n sign-ups that are due, oldest first, for
// holder until lease passes: no other holder gets them meanwhile. A claim
// that ran out (its holder died) is free again. Each claimed sign-up is
// ended by SignupDone or RetrySignup.
func (s *Store) ClaimSignups(ctx context.Context, holder string, n int, lease time.Duration) ([]Signup, error) {
	now := s.now()
	rows, err := s.query(ctx, qSignupsDue, s.timeArg(now), s.timeArg(now), n)
	if err != nil {
		return nil, fmt.Errorf("claim sign-ups: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("claim sign-ups: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim sign-ups: %w", err)
	}
	var out []Signup
	for _, id := range ids {
		var su Signup
		err := s.queryRow(ctx, qSignupClaim, holder, s.timeArg(now.Add(lease)), id, s.timeArg(now)).
			Scan(&su.ID, &su.Kind, &su.Email, &su.Name, scanTime{&su.RequestedAt}, &su.Attempts)
		if errors.Is(err, sql.ErrNoRows) {
			continue // claimed by another meanwhile
		}
		if err != nil {
			return out, fmt.Errorf("claim sign-ups: %w", err)
		}
		out = append(out, su)
	}
	return out, nil
}

// SignupDone removes a sign-up holder claimed from the queue: its
// confirmation went out, or was given up.
func (s *Store) SignupDone(ctx context.Context, id int64, holder string) error {
	if _, err := s.exec(ctx, qSignupDone, id, holder); err != nil {
		return fmt.Errorf("sign-up done: %w", err)
	}
	return nil
}

// RetrySignup counts a failed attempt at a sign-up holder claimed, and
// frees it to be claimed again from at.
func (s *Store) RetrySignup(ctx context.Context, id int64, holder string, at time.Time) error {
	if _, err := s.exec(ctx, qSignupRetry, s.timeArg(at), id, holder); err != nil {
		return fmt.Errorf("retry sign-up: %w", err)
	}
	return nil
}

// ReleaseSignups frees every sign-up holder claimed and did not end, for
// a worker that stops.
func (s *Store) ReleaseSignups(ctx context.Context, holder string) error {
	if _, err := s.exec(ctx, qSignupsRelease, holder); err != nil {
		return fmt.Errorf("release sign-ups: %w", err)
	}
	return nil
}
