package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Weekly is a weekly digest: one email made of the lead entries of the
// issues of a week, for the subscribers who chose it over every issue.
//
// It is a mailing of its own in the delivery ledger, which keys its rows
// by issue number: a digest is a row of issues numbered below zero (-1,
// -2, ...), which no list of issues shows and whose number no issue
// takes, so that the ledger lets no one get a digest twice, as it does an
// issue. Send and the other ledger methods take its Number.
type Weekly struct {
	Number    int // -1, -2, ...
	Title     string
	CreatedAt time.Time
	// FirstIssue and LastIssue are the issues it covers, both included.
	FirstIssue, LastIssue int
}

// CreateWeekly makes the digest of the issues made after from and up to
// to that no earlier digest covers, titled title. With no such issue it
// makes none and returns ErrNotFound. Digests are made one at a time, by
// any process, under the lock that numbers issues.
func (s *Store) CreateWeekly(ctx context.Context, from, to time.Time, title string) (Weekly, error) {
	var w Weekly
	err := s.tx(ctx, func(tx runner) error {
		if _, err := tx.exec(ctx, qIssueLock); err != nil {
			return err
		}
		var last int
		if err := tx.queryRow(ctx, qWeeklyLastCovered).Scan(&last); err != nil {
			return err
		}
		if err := tx.queryRow(ctx, qWeeklySpan, last, s.timeArg(from), s.timeArg(to)).Scan(&w.FirstIssue, &w.LastIssue); err != nil {
			return err
		}
		if w.FirstIssue == 0 {
			return fmt.Errorf("create weekly: no issue since issue %d between %s and %s: %w",
				last, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), ErrNotFound)
		}
		if err := tx.queryRow(ctx, qWeeklyNextNumber).Scan(&w.Number); err != nil {
			return err
		}
		w.Title, w.CreatedAt = title, s.now()
		// Released as it is made: no editor reviews a digest of issues
		// that were each released already.
		now := s.timeArg(w.CreatedAt)
		if _, err := tx.exec(ctx, qIssueInsert, w.Number, title, now, string(IssueSent), now); err != nil {
			return err
		}
		_, err := tx.exec(ctx, qWeeklyInsert, w.Number, w.FirstIssue, w.LastIssue)
		return err
	})
	if err != nil {
		return Weekly{}, err
	}
	return s.Weekly(ctx, w.Number)
}

// Weekly returns the digest numbered n (below zero).
func (s *Store) Weekly(ctx context.Context, n int) (Weekly, error) {
	var w Weekly
	err := s.queryRow(ctx, qWeeklyGet, n).Scan(&w.Number, &w.Title, scanTime{&w.CreatedAt}, &w.FirstIssue, &w.LastIssue)
	if errors.Is(err, sql.ErrNoRows) {
		return Weekly{}, fmt.Errorf("weekly digest %d: %w", n, ErrNotFound)
	}
	if err != nil {
		return Weekly{}, fmt.Errorf("weekly digest %d: %w", n, err)
	}
	return w, nil
}

// LatestWeekly returns the digest made last, or ErrNotFound.
func (s *Store) LatestWeekly(ctx context.Context) (Weekly, error) {
	var n int
	if err := s.queryRow(ctx, qWeeklyLatestNumber).Scan(&n); err != nil {
		return Weekly{}, fmt.Errorf("latest weekly digest: %w", err)
	}
	if n == 0 {
		return Weekly{}, fmt.Errorf("latest weekly digest: %w", ErrNotFound)
	}
	return s.Weekly(ctx, n)
}
