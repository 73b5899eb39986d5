package store

import (
	"context"
	"fmt"
	"time"
)

// AuditEntry is one line of the audit log: who did what, about which
// issue, subscriber or source, and when.
type AuditEntry struct {
	ID int64
	At time.Time // set by the store when the entry is added
	// Actor is who did it: "cli:USER" for the command line, "job:NAME" for
	// a scheduled job, whatever the desk names its users by.
	Actor string
	// Action is a dotted name: issue.approve, entry.drop (the Audit*
	// constants), or one a caller brings.
	Action     string
	Issue      int    // 0: none
	Subscriber int64  // 0: none; by id, so that a forgotten address is not kept here
	Source     string // a source's name; "": none
	Detail     string
}

// maxAuditText bounds what one entry keeps of each text a caller gives.
const maxAuditText = 2000

// AddAudit adds e to the audit log, at the store's time.
func (s *Store) AddAudit(ctx context.Context, e AuditEntry) error {
	if err := (runner{s: s}).audit(ctx, e); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	return nil
}

func (tx runner) audit(ctx context.Context, e AuditEntry) error {
	if e.Actor == "" || e.Action == "" {
		return fmt.Errorf("audit entry without an actor or an action: %w", ErrInvalid)
	}
	var issue, sub any
	if e.Issue != 0 {
		issue = e.Issue
	}
	if e.Subscriber != 0 {
		sub = e.Subscriber
	}
	_, err := tx.exec(ctx, qAuditAdd, tx.s.timeArg(tx.s.now()), clip(e.Actor), clip(e.Action), issue, sub, clip(e.Source), clip(e.Detail))
	return err
}

func clip(s string) string {
	if r := []rune(s); len(r) > maxAuditText {
		return string(r[:maxAuditText-1]) + "…"
	}
	return s
}

// AuditQuery selects lines of the audit log. Its zero value selects all.
type AuditQuery struct {
	Issue      int    // only about this issue
	Subscriber int64  // only about this subscriber
	Source     string // only about this source
	Before     int64  // only entries older than this id: the next page
	Limit      int    // at most this many; 0: all
}

// AuditLog returns the entries q selects, newest first.
func (s *Store) AuditLog(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	rows, err := s.query(ctx, qAuditList, q.Issue, q.Issue, q.Subscriber, q.Subscriber, q.Source, q.Source,
		q.Before, q.Before, limitArg(q.Limit))
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, scanTime{&e.At}, &e.Actor, &e.Action, &e.Issue, &e.Subscriber, &e.Source, &e.Detail); err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
