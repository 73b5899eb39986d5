package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// SubscriberStatus is where a subscriber stands. Only confirmed subscribers
// receive issues.
type SubscriberStatus string

const (
	StatusPending      SubscriberStatus = "pending"
	StatusConfirmed    SubscriberStatus = "confirmed"
	StatusUnsubscribed SubscriberStatus = "unsubscribed"
	StatusBounced      SubscriberStatus = "bounced"
	StatusComplained   SubscriberStatus = "complained"
)

// SubscriberStatuses lists every status, in the order they are usually shown.
var SubscriberStatuses = []SubscriberStatus{StatusPending, StatusConfirmed, StatusUnsubscribed, StatusBounced, StatusComplained}

// ParseSubscriberStatus checks a status given by a user.
func ParseSubscriberStatus(s string) (SubscriberStatus, error) {
	for _, st := range SubscriberStatuses {
		if strings.EqualFold(s, string(st)) {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown subscriber status %q (want one of pending, confirmed, unsubscribed, bounced, complained)", s)
}

// Subscriber is one newsletter recipient.
type Subscriber struct {
	ID            int64
	Email         string
	Name          string
	Status        SubscriberStatus
	CreatedAt     time.Time
	UpdatedAt     time.Time
	ConfirmedAt   time.Time // zero until confirmed
	ConfirmSentAt time.Time // when the last confirmation email was sent
	// Cadence is what the subscriber takes: every issue (CadenceIssue) or
	// a weekly digest (CadenceWeekly).
	Cadence Cadence
	// PausedUntil is when a pause the subscriber asked for ends: nothing
	// made before then is sent to them. Zero when not paused.
	PausedUntil time.Time
}

// Cadence is how often a subscriber gets mail.
type Cadence string

const (
	CadenceIssue  Cadence = "issue"  // every issue, as it is sent
	CadenceWeekly Cadence = "weekly" // one weekly digest of the week's issues
)

// SetPreferences records what a subscriber chose: their cadence, and a
// pause until a time (zero: none). It is no change of their status.
func (s *Store) SetPreferences(ctx context.Context, id int64, cadence Cadence, pausedUntil time.Time) error {
	if cadence != CadenceIssue && cadence != CadenceWeekly {
		return fmt.Errorf("set preferences of subscriber %d: unknown cadence %q", id, cadence)
	}
	if _, err := s.exec(ctx, qSubscriberSetPreferences, string(cadence), s.nullTimeArg(pausedUntil), id); err != nil {
		return fmt.Errorf("set preferences of subscriber %d: %w", id, err)
	}
	return nil
}

func scanSubscriber(row interface{ Scan(...any) error }) (Subscriber, error) {
	var s Subscriber
	err := row.Scan(&s.ID, &s.Email, &s.Name, &s.Status, scanTime{&s.CreatedAt}, scanTime{&s.UpdatedAt},
		scanTime{&s.ConfirmedAt}, scanTime{&s.ConfirmSentAt}, &s.Cadence, scanTime{&s.PausedUntil})
	return s, err
}

// AddSubscriber stores a new subscriber with the given status. If the address
// is known already (case-insensitively) nothing changes and the existing
// subscriber is returned with created false: callers decide what a second
// subscription means.
func (s *Store) AddSubscriber(ctx context.Context, email, name string, status SubscriberStatus) (sub Subscriber, created bool, err error) {
	err = s.tx(ctx, func(tx runner) error {
		var err error
		sub, created, err = s.addSubscriber(ctx, tx, s.now(), email, name, status)
		return err
	})
	if err != nil {
		return Subscriber{}, false, fmt.Errorf("add subscriber %s: %w", email, err)
	}
	return sub, created, nil
}

func (s *Store) addSubscriber(ctx context.Context, tx runner, now time.Time, email, name string, status SubscriberStatus) (Subscriber, bool, error) {
	var confirmed any
	if status == StatusConfirmed {
		confirmed = s.timeArg(now)
	}
	res, err := tx.exec(ctx, qSubscriberAdd, email, name, string(status), s.timeArg(now), s.timeArg(now), confirmed)
	if err != nil {
		return Subscriber{}, false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return Subscriber{}, false, err
	}
	sub, err := scanSubscriber(tx.queryRow(ctx, qSubscriberByEmail, email))
	return sub, n == 1, err
}

// NewSubscriber is a row to import.
type NewSubscriber struct {
	Email  string
	Name   string
	Status SubscriberStatus
}

// importBatch is how many subscribers one statement of an import adds.
const importBatch = 1000

// ImportSubscribers adds all of subs in one transaction: either every new
// address is stored or, on error, none is. Known addresses are left as they
// are and counted in existing. The rows go in batches, one statement each,
// prepared once.
func (s *Store) ImportSubscribers(ctx context.Context, subs []NewSubscriber) (added, existing int, err error) {
	now := s.timeArg(s.now())
	err = s.tx(ctx, func(tx runner) error {
		added = 0
		putBack, err := setAsideForImport(ctx, tx, len(subs))
		if err != nil {
			return err
		}
		stmt := tx.stmt(ctx, qSubscribersImport)
		for from := 0; from < len(subs); from += importBatch {
			batch := subs[from:min(from+importBatch, len(subs))]
			emails := make([]string, len(batch))
			names := make([]string, len(batch))
			statuses := make([]string, len(batch))
			for i, ns := range batch {
				emails[i], names[i], statuses[i] = ns.Email, ns.Name, string(ns.Status)
			}
			var args []any
			if s.dialect.jsonLists {
				rows := make([][3]string, len(batch))
				for i := range batch {
					rows[i] = [3]string{emails[i], names[i], statuses[i]}
				}
				j, err := json.Marshal(rows)
				if err != nil {
					return err
				}
				args = []any{now, now, now, string(j)}
			} else {
				args = []any{emails, names, statuses, now}
			}
			res, err := stmt.ExecContext(ctx, args...)
			if err != nil {
				return fmt.Errorf("rows %d–%d: %w", from+1, from+len(batch), err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			added += int(n)
		}
		return putBack()
	})
	if err != nil {
		return 0, 0, fmt.Errorf("import subscribers: %w", err)
	}
	return added, len(subs) - added, nil
}

// bulkImportRows is the smallest import that sets aside what slows each
// row (setAsideForImport). A variable, so that a test can make a small
// import take that path.
var bulkImportRows = 5000

// setAsideForImport prepares an import of n subscribers in transaction tx.
// On SQLite, an import of at least bulkImportRows rows and at least half
// as many as the table holds drops the desk's search indexes and the
// tallies' insert trigger, what would otherwise cost each row three
// upserts and two inserts at random places: building an index afresh
// sorts its keys once, and a few statements count the new rows into the
// tallies. The function it returns puts all back, from the definitions the
// schema held, before the transaction commits; if the import fails, the
// rollback restores them with the rest. Other dialects, and smaller
// imports, set nothing aside, and what it returns does nothing.
func setAsideForImport(ctx context.Context, tx runner, n int) (putBack func() error, err error) {
	nothing := func() error { return nil }
	if n < bulkImportRows || tx.s.texts[qSubscribersBulkHold] == "" {
		return nothing, nil
	}
	var size, lastID int64
	if err := tx.queryRow(ctx, qSubscribersBulkExtent).Scan(&size, &lastID); err != nil {
		return nil, err
	}
	if int64(n)*2 < size {
		return nothing, nil // updating the indexes costs less than building them anew
	}
	rows, err := tx.query(ctx, qSubscribersBulkHeld)
	if err != nil {
		return nil, err
	}
	var defs []string
	for rows.Next() {
		var def string
		if err := rows.Scan(&def); err != nil {
			rows.Close()
			return nil, err
		}
		defs = append(defs, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if _, err := tx.exec(ctx, qSubscribersBulkHold); err != nil {
		return nil, fmt.Errorf("set aside indexes: %w", err)
	}
	return func() error {
		if _, err := tx.exec(ctx, qSubscribersBulkTally, lastID); err != nil {
			return fmt.Errorf("tallies: %w", err)
		}
		for _, def := range defs {
			if _, err := tx.tx.ExecContext(ctx, def); err != nil {
				return fmt.Errorf("put back %q: %w", def, err)
			}
		}
		return nil
	}, nil
}

// SuppressedAmong returns which of emails the suppression list holds, a
// batch of them at a time.
func (s *Store) SuppressedAmong(ctx context.Context, emails []string) (map[string]bool, error) {
	out := map[string]bool{}
	var some bool
	if err := s.queryRow(ctx, qSuppressionsAny).Scan(&some); err != nil || !some {
		return out, err // most lists have no one erased: nothing to look up
	}
	for from := 0; from < len(emails); from += importBatch {
		batch := emails[from:min(from+importBatch, len(emails))]
		byKey := make(map[string]string, len(batch))
		keys := make([]string, len(batch))
		for i, e := range batch {
			keys[i] = SuppressionKey(e)
			byKey[keys[i]] = e
		}
		var arg any = keys
		if s.dialect.jsonLists {
			j, err := json.Marshal(keys)
			if err != nil {
				return nil, err
			}
			arg = string(j)
		}
		rows, err := s.query(ctx, qSuppressionsAmong, arg)
		if err != nil {
			return nil, fmt.Errorf("suppressions: %w", err)
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return nil, err
			}
			out[byKey[k]] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SubscriberWidths returns the widest address, name and status, in
// characters, of the subscribers with the given status (all when empty),
// so that a listing can be aligned as it streams.
func (s *Store) SubscriberWidths(ctx context.Context, status SubscriberStatus) (email, name, st int, err error) {
	err = s.queryRow(ctx, qSubscriberWidths, string(status), string(status)).Scan(&email, &name, &st)
	if err != nil {
		err = fmt.Errorf("subscriber widths: %w", err)
	}
	return email, name, st, err
}

// SubscriberByEmail looks a subscriber up by address, case-insensitively.
func (s *Store) SubscriberByEmail(ctx context.Context, email string) (Subscriber, error) {
	sub, err := scanSubscriber(s.queryRow(ctx, qSubscriberByEmail, email))
	if errors.Is(err, sql.ErrNoRows) {
		return Subscriber{}, fmt.Errorf("subscriber %s: %w", email, ErrNotFound)
	}
	if err != nil {
		return Subscriber{}, fmt.Errorf("subscriber %s: %w", email, err)
	}
	return sub, nil
}

// Subscriber looks a subscriber up by id.
func (s *Store) Subscriber(ctx context.Context, id int64) (Subscriber, error) {
	sub, err := scanSubscriber(s.queryRow(ctx, qSubscriberByID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Subscriber{}, fmt.Errorf("subscriber %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Subscriber{}, fmt.Errorf("subscriber %d: %w", id, err)
	}
	return sub, nil
}

// Subscribers returns the subscribers with the given status (all when status
// is empty) whose id is above afterID, in id order, at most limit of them
// (all when limit <= 0). Paging by id keeps memory flat however many there are.
func (s *Store) Subscribers(ctx context.Context, status SubscriberStatus, afterID int64, limit int) ([]Subscriber, error) {
	rows, err := s.query(ctx, qSubscribersList, string(status), string(status), afterID, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("list subscribers: %w", err)
	}
	defer rows.Close()
	var out []Subscriber
	for rows.Next() {
		sub, err := scanSubscriber(rows)
		if err != nil {
			return nil, fmt.Errorf("list subscribers: %w", err)
		}
		out = append(out, sub)
	}
	return out, rows.Err()
}

// CountSubscribers counts subscribers by status.
func (s *Store) CountSubscribers(ctx context.Context) (map[SubscriberStatus]int, error) {
	rows, err := s.query(ctx, qSubscribersCount)
	if err != nil {
		return nil, fmt.Errorf("count subscribers: %w", err)
	}
	defer rows.Close()
	out := map[SubscriberStatus]int{}
	for rows.Next() {
		var st SubscriberStatus
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// SetSubscriberStatus moves a subscriber to status. Only the statuses in from
// are moved (any status when from is empty); changed says whether the row
// changed, so that callers can make state changes idempotent.
func (s *Store) SetSubscriberStatus(ctx context.Context, id int64, status SubscriberStatus, from ...SubscriberStatus) (changed bool, err error) {
	// The query takes as many statuses to move from as there are statuses:
	// from, without repeats, padded with its first.
	if len(from) == 0 {
		from = SubscriberStatuses
	}
	var in []any
	for _, f := range from {
		if !slices.Contains(in, any(string(f))) {
			in = append(in, string(f))
		}
	}
	if len(in) > len(SubscriberStatuses) {
		return false, fmt.Errorf("set subscriber %d %s: more statuses to move from than there are: %q", id, status, from)
	}
	for len(in) < len(SubscriberStatuses) {
		in = append(in, in[0])
	}
	now := s.timeArg(s.now())
	args := append([]any{string(status), now, string(status), now, id, string(status)}, in...)
	res, err := s.exec(ctx, qSubscriberSetStatus, args...)
	if err != nil {
		return false, fmt.Errorf("set subscriber %d %s: %w", id, status, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// MarkConfirmationSent records that a confirmation email went to subscriber
// id at t.
func (s *Store) MarkConfirmationSent(ctx context.Context, id int64, t time.Time) error {
	if _, err := s.exec(ctx, qSubscriberConfirmationSent, s.timeArg(t), id); err != nil {
		return fmt.Errorf("mark confirmation sent to %d: %w", id, err)
	}
	return nil
}

// ForgetSubscriber erases a subscriber's personal data and keeps a hashed
// suppression entry in its place, in one transaction. The ledger is
// history and keeps its rows, without the address: the subscriber row
// keeps its id, with the address replaced by ForgottenEmail(id), no name,
// and the status unsubscribed, so nothing is ever sent to it; the
// ledger's copies of the address and its errors, and what bounce reports
// said (both may quote it), are cleared.
func (s *Store) ForgetSubscriber(ctx context.Context, email string) error {
	now := s.timeArg(s.now())
	err := s.tx(ctx, func(tx runner) error {
		var id int64
		err := tx.queryRow(ctx, qSubscriberForRemoval, email).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		gone := ForgottenEmail(id)
		if _, err := tx.exec(ctx, qSubscriberForget, gone, now, id); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, qDeliveriesEraseAddress, gone, id); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, qBounceEventsErase, id); err != nil {
			return err
		}
		// The key folds ASCII case as the lookup did: the address as given
		// and as stored make the same key.
		_, err = tx.exec(ctx, qSuppressionAdd, SuppressionKey(email), now)
		return err
	})
	if err != nil {
		return fmt.Errorf("forget subscriber %s: %w", email, err)
	}
	return nil
}

// Suppressed reports whether email is on the suppression list: erased
// with ForgetSubscriber, or complained of (RecordBounce).
func (s *Store) Suppressed(ctx context.Context, email string) (bool, error) {
	var n int
	if err := s.queryRow(ctx, qSuppressionFind, SuppressionKey(email)).Scan(&n); err != nil {
		return false, fmt.Errorf("suppressed %s: %w", email, err)
	}
	return n > 0, nil
}

// SuppressionKey is what the suppression list keeps of an address: a
// SHA-256 of it with its ASCII letters in lower case, as the store
// compares addresses.
func SuppressionKey(email string) string {
	b := []byte(email)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	sum := sha256.Sum256(append([]byte("bulletin suppression v1\n"), b...))
	return hex.EncodeToString(sum[:])
}

// ForgottenEmail is what takes the place of a forgotten subscriber's
// address: unique, and undeliverable (.invalid, RFC 2606).
func ForgottenEmail(id int64) string { return fmt.Sprintf("forgotten-%d@invalid", id) }

// IsForgotten says whether email is a ForgottenEmail.
func IsForgotten(email string) bool {
	return strings.HasPrefix(email, "forgotten-") && strings.HasSuffix(email, "@invalid")
}
