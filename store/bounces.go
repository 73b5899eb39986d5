package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// BounceKind is what a report after the send says of a delivery.
type BounceKind string

const (
	BounceHard      BounceKind = "hard"      // the address does not work
	BounceSoft      BounceKind = "soft"      // this message failed; the address may work
	BounceComplaint BounceKind = "complaint" // the recipient marked it as spam
)

// BounceEvent is a bounce or complaint recorded on a delivery row.
type BounceEvent struct {
	IssueNumber  int
	SubscriberID int64
	Email        string // the subscriber's address now (read back only)
	Kind         BounceKind
	// Source is where the report came from: mail, or a sending service.
	Source string
	// ReportID names the report: one recorded before is not acted on
	// again.
	ReportID   string
	Status     string // RFC 3463 code, when known
	Detail     string // what the receiving server said
	ReportedAt time.Time
	CreatedAt  time.Time // when it was recorded (read back only)
}

// BounceOutcome is what recording a report did.
type BounceOutcome struct {
	// Duplicate: the report was recorded before; nothing was done.
	Duplicate bool
	// Before and After are the subscriber's status around the report.
	Before, After SubscriberStatus
	// SoftInARow counts, for a soft bounce, the subscriber's latest
	// deliveries in a row that soft-bounced, this one included (at most
	// the limit RecordBounce was given).
	SoftInARow int
	// Suppressed: the address went on the suppression list.
	Suppressed bool
}

// Changed says whether the subscriber's status changed.
func (o BounceOutcome) Changed() bool { return o.Before != o.After }

// RecordBounce records a report on its delivery row and applies the
// policy, in one transaction, so that a report is acted on exactly once
// however often it is read (ev.ReportID), and never recorded without its
// effect:
//   - a hard bounce marks a confirmed subscriber bounced;
//   - a soft bounce counts: softLimit deliveries in a row that
//     soft-bounced (the latest ones up to this issue that were sent) make
//     it a hard one;
//   - a complaint marks the subscriber complained (whatever their status:
//     nothing is sent to them again) and puts the address on the
//     suppression list, so that no import brings it back.
//
// It returns ErrNotFound when the delivery row does not exist.
func (s *Store) RecordBounce(ctx context.Context, ev BounceEvent, softLimit int) (BounceOutcome, error) {
	var out BounceOutcome
	switch ev.Kind {
	case BounceHard, BounceSoft, BounceComplaint:
	default:
		return out, fmt.Errorf("record bounce: unknown kind %q", ev.Kind)
	}
	if ev.ReportID == "" {
		return out, errors.New("record bounce: no report id")
	}
	softLimit = max(softLimit, 1)
	now := s.now()
	err := s.tx(ctx, func(tx runner) error {
		out = BounceOutcome{}
		var id int64
		var email string
		err := tx.queryRow(ctx, qBounceDelivery, ev.IssueNumber, ev.SubscriberID).Scan(&id, &email, &out.Before)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		out.After = out.Before
		res, err := tx.exec(ctx, qBounceInsert, ev.IssueNumber, ev.SubscriberID, string(ev.Kind), ev.Source, ev.ReportID,
			ev.Status, ev.Detail, s.nullTimeArg(ev.ReportedAt), s.timeArg(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			out.Duplicate = true
			return nil
		}
		bounce := ev.Kind == BounceHard
		switch ev.Kind {
		case BounceSoft:
			if out.SoftInARow, err = s.softInARow(ctx, tx, ev, softLimit); err != nil {
				return err
			}
			bounce = out.SoftInARow >= softLimit
		case BounceComplaint:
			if _, err := tx.exec(ctx, qSubscriberComplain, s.timeArg(now), id); err != nil {
				return err
			}
			out.After = StatusComplained
			if !IsForgotten(email) {
				if _, err := tx.exec(ctx, qSuppressionAdd, SuppressionKey(email), s.timeArg(now)); err != nil {
					return err
				}
				out.Suppressed = true
			}
		}
		if bounce && out.Before == StatusConfirmed {
			if _, err := tx.exec(ctx, qSubscriberBounce, s.timeArg(now), id); err != nil {
				return err
			}
			out.After = StatusBounced
		}
		return nil
	})
	if err != nil {
		return BounceOutcome{}, fmt.Errorf("record %s bounce on delivery %d/%d: %w", ev.Kind, ev.IssueNumber, ev.SubscriberID, err)
	}
	return out, nil
}

// softInARow counts the subscriber's latest deliveries (up to ev's issue,
// at most limit) that soft-bounced, until one that did not.
func (s *Store) softInARow(ctx context.Context, tx runner, ev BounceEvent, limit int) (int, error) {
	rows, err := tx.query(ctx, qBounceSoftStreak, ev.SubscriberID, ev.IssueNumber, limit)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var issue int
		var soft bool
		if err := rows.Scan(&issue, &soft); err != nil {
			return 0, err
		}
		if !soft {
			break
		}
		n++
	}
	return n, rows.Err()
}

func scanDelivery(row interface{ Scan(...any) error }) (Delivery, error) {
	var d Delivery
	err := row.Scan(&d.IssueNumber, &d.SubscriberID, &d.Email, &d.Name, &d.SubscriberStatus, &d.Status, &d.Attempts,
		&d.LastError, &d.MessageID, scanTime{&d.UpdatedAt}, scanTime{&d.SentAt})
	return d, err
}

func (s *Store) oneDelivery(ctx context.Context, what string, id queryID, args ...any) (Delivery, error) {
	d, err := scanDelivery(s.queryRow(ctx, id, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return Delivery{}, fmt.Errorf("delivery %s: %w", what, ErrNotFound)
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("delivery %s: %w", what, err)
	}
	return d, nil
}

// Delivery returns one ledger row.
func (s *Store) Delivery(ctx context.Context, issue int, subscriberID int64) (Delivery, error) {
	return s.oneDelivery(ctx, fmt.Sprintf("%d/%d", issue, subscriberID), qDeliveryGet, issue, subscriberID)
}

// DeliveryByMessageID returns the ledger row whose message had this
// Message-ID (without angle brackets).
func (s *Store) DeliveryByMessageID(ctx context.Context, messageID string) (Delivery, error) {
	return s.oneDelivery(ctx, "<"+messageID+">", qDeliveryByMessageID, messageID)
}

// LatestDeliveryTo returns the latest sent (or unconfirmed) ledger row of
// the subscriber with this address, compared as the store compares
// addresses.
func (s *Store) LatestDeliveryTo(ctx context.Context, email string) (Delivery, error) {
	return s.oneDelivery(ctx, "to "+email, qDeliveryLatestTo, email)
}

// BounceCounts counts an issue's recorded reports by kind.
func (s *Store) BounceCounts(ctx context.Context, issue int) (map[BounceKind]int, error) {
	rows, err := s.query(ctx, qBounceCounts, issue)
	if err != nil {
		return nil, fmt.Errorf("count bounces of issue %d: %w", issue, err)
	}
	defer rows.Close()
	out := map[BounceKind]int{}
	for rows.Next() {
		var k BounceKind
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}

// RecentBounces returns the latest recorded reports, newest first, at most
// limit.
func (s *Store) RecentBounces(ctx context.Context, limit int) ([]BounceEvent, error) {
	rows, err := s.query(ctx, qBouncesRecent, max(limit, 1))
	if err != nil {
		return nil, fmt.Errorf("recent bounces: %w", err)
	}
	defer rows.Close()
	var out []BounceEvent
	for rows.Next() {
		var e BounceEvent
		if err := rows.Scan(&e.IssueNumber, &e.SubscriberID, &e.Email, &e.Kind, &e.Source, &e.Status, &e.Detail,
			scanTime{&e.ReportedAt}, scanTime{&e.CreatedAt}); err != nil {
			return nil, fmt.Errorf("recent bounces: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// SubscriberBounces is a subscriber's latest report and how many there
// are.
type SubscriberBounces struct {
	Last  BounceEvent
	Count int
}

// LastBounces returns, for each subscriber whose id is in (afterID,
// toID] and who has any, the latest report and the count: for listing
// subscribers a page at a time.
func (s *Store) LastBounces(ctx context.Context, afterID, toID int64) (map[int64]SubscriberBounces, error) {
	rows, err := s.query(ctx, qBouncesLast, afterID, toID)
	if err != nil {
		return nil, fmt.Errorf("last bounces: %w", err)
	}
	defer rows.Close()
	out := map[int64]SubscriberBounces{}
	for rows.Next() {
		var b SubscriberBounces
		e := &b.Last
		if err := rows.Scan(&e.SubscriberID, &e.IssueNumber, &e.Kind, &e.Source, &e.Status, &e.Detail,
			scanTime{&e.ReportedAt}, scanTime{&e.CreatedAt}, &b.Count); err != nil {
			return nil, fmt.Errorf("last bounces: %w", err)
		}
		out[e.SubscriberID] = b
	}
	return out, rows.Err()
}
