package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// DeliveryStatus is the state of one (issue, subscriber) row of the delivery
// ledger: pending → sending → sent or failed. A row is "sending" only while
// its message is being handed to the mail server; one found in that state
// after a crash may or may not have been accepted.
type DeliveryStatus string

const (
	DeliveryPending DeliveryStatus = "pending"
	DeliverySending DeliveryStatus = "sending"
	DeliverySent    DeliveryStatus = "sent"
	DeliveryFailed  DeliveryStatus = "failed"
)

// Delivery is one ledger row, with the subscriber's current name.
type Delivery struct {
	IssueNumber  int
	SubscriberID int64
	Email        string
	Name         string
	// SubscriberStatus is the subscriber's status now; empty if removed.
	SubscriberStatus SubscriberStatus
	Status           DeliveryStatus
	Attempts         int
	LastError        string
	MessageID        string // without angle brackets
	UpdatedAt        time.Time
	SentAt           time.Time
}

// PlanDeliveries writes a pending ledger row for every confirmed subscriber
// who takes issue (every issue, or the weekly digest when issue is one)
// and was not paused when it was made, who has none for issue yet, each with its own Message-ID on domain, and
// returns how many it added. Rows are never rewritten, so a Message-ID stays
// the same however often the send is restarted.
//
// Where sends are shared (SharesSends), it also cuts the pending rows into
// the chunks that senders take (TakeChunk). Senders that start together
// plan one after another.
func (s *Store) PlanDeliveries(ctx context.Context, issue int, domain string) (int, error) {
	cadence := CadenceIssue
	if issue < 0 {
		cadence = CadenceWeekly // a weekly digest (weeklies.go)
	}
	var added int64
	err := s.tx(ctx, func(tx runner) error {
		if s.dialect.sharedSends {
			if _, err := tx.exec(ctx, qPlanLock, issue); err != nil {
				return err
			}
		}
		res, err := tx.exec(ctx, qDeliveriesPlan, issue, issue, domain, s.timeArg(s.now()), string(cadence), issue)
		if err != nil {
			return err
		}
		if added, err = res.RowsAffected(); err != nil {
			return err
		}
		if !s.dialect.sharedSends {
			return nil
		}
		return planChunks(ctx, tx, issue)
	})
	if err != nil {
		return 0, fmt.Errorf("plan deliveries of issue %d: %w", issue, err)
	}
	if s.dialect.sharedSends && added >= analyzeAfter {
		if _, err := s.exec(ctx, qDeliveriesAnalyze); err != nil {
			return 0, fmt.Errorf("plan deliveries of issue %d: %w", issue, err)
		}
	}
	return int(added), nil
}

// analyzeAfter is how many rows a planning adds before the ledger's
// statistics are brought up to date at once (deliveries-analyze), rather
// than when autovacuum comes to them.
const analyzeAfter = 10000

// DeliveryCounts counts issue's ledger rows by status.
func (s *Store) DeliveryCounts(ctx context.Context, issue int) (map[DeliveryStatus]int, error) {
	rows, err := s.query(ctx, qDeliveryCounts, issue)
	if err != nil {
		return nil, fmt.Errorf("count deliveries of issue %d: %w", issue, err)
	}
	defer rows.Close()
	out := map[DeliveryStatus]int{}
	for rows.Next() {
		var st DeliveryStatus
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// Deliveries returns issue's ledger rows in the given status whose
// subscriber id is above afterID, in id order, at most limit (all when
// limit <= 0). With confirmedOnly, rows of subscribers who are no longer
// confirmed are left out.
func (s *Store) Deliveries(ctx context.Context, issue int, status DeliveryStatus, confirmedOnly bool, afterID int64, limit int) ([]Delivery, error) {
	rows, err := s.query(ctx, qDeliveriesList, issue, string(status), afterID, confirmedOnly, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("deliveries of issue %d: %w", issue, err)
	}
	out, err := scanDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("deliveries of issue %d: %w", issue, err)
	}
	return out, nil
}

// scanDeliveries reads the rows of deliveries-list, or of a query with its
// columns, and closes them.
func scanDeliveries(rows *sql.Rows) ([]Delivery, error) {
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		if err := rows.Scan(&d.IssueNumber, &d.SubscriberID, &d.Email, &d.Name, &d.SubscriberStatus, &d.Status, &d.Attempts,
			&d.LastError, &d.MessageID, scanTime{&d.UpdatedAt}, scanTime{&d.SentAt}); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// ClaimDelivery moves a row from status from to sending and counts the
// attempt, in its own committed transaction. It reports false if the row was
// not in status from: someone else has it, or it is done.
func (s *Store) ClaimDelivery(ctx context.Context, issue int, subscriberID int64, from DeliveryStatus) (bool, error) {
	res, err := s.exec(ctx, qDeliveryClaim, s.timeArg(s.now()), issue, subscriberID, string(from))
	if err != nil {
		return false, fmt.Errorf("claim delivery %d/%d: %w", issue, subscriberID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// MarkDeliverySent records that the mail server accepted the message.
func (s *Store) MarkDeliverySent(ctx context.Context, issue int, subscriberID int64) error {
	now := s.timeArg(s.now())
	_, err := s.exec(ctx, qDeliverySent, now, now, issue, subscriberID)
	if err != nil {
		return fmt.Errorf("mark delivery %d/%d sent: %w", issue, subscriberID, err)
	}
	return nil
}

// ReleaseDelivery puts a row back to pending after a temporary failure, the
// message not having been accepted, so that a later attempt or run sends it.
func (s *Store) ReleaseDelivery(ctx context.Context, issue int, subscriberID int64, reason string) error {
	_, err := s.exec(ctx, qDeliveryRelease, reason, s.timeArg(s.now()), issue, subscriberID)
	if err != nil {
		return fmt.Errorf("release delivery %d/%d: %w", issue, subscriberID, err)
	}
	return nil
}

// FailDelivery marks a row failed for good, counting the attempt if the row
// was not claimed. With bounce, the subscriber is marked bounced in the same
// transaction, so that no later issue goes to a dead address.
func (s *Store) FailDelivery(ctx context.Context, issue int, subscriberID int64, reason string, bounce bool) error {
	now := s.timeArg(s.now())
	err := s.tx(ctx, func(tx runner) error {
		if _, err := tx.exec(ctx, qDeliveryFail, reason, now, issue, subscriberID); err != nil {
			return err
		}
		if !bounce {
			return nil
		}
		_, err := tx.exec(ctx, qSubscriberBounce, now, subscriberID)
		return err
	})
	if err != nil {
		return fmt.Errorf("fail delivery %d/%d: %w", issue, subscriberID, err)
	}
	return nil
}

// ForgetDeliveries deletes issue's whole ledger, so that the next send goes
// to everyone again. Only for tests and benchmarks of a send, and for an
// operator who means it.
func (s *Store) ForgetDeliveries(ctx context.Context, issue int) error {
	err := s.tx(ctx, func(tx runner) error {
		if _, err := tx.exec(ctx, qChunksForget, issue); err != nil {
			return err
		}
		_, err := tx.exec(ctx, qDeliveriesForget, issue)
		return err
	})
	if err != nil {
		return fmt.Errorf("forget deliveries of issue %d: %w", issue, err)
	}
	return nil
}

// Ledger writes one issue's ledger rows while it is being sent. It holds
// one connection with its statements prepared on it (transaction control
// included), and Commit applies any number of claims and "sent" marks in
// one transaction, so that a send pays for one commit per group of
// messages rather than two per message. On PostgreSQL that transaction is
// one statement, so one round trip to the server per group. It is not safe for concurrent use.
// Close it when the send ends.
type Ledger struct {
	s     *Store
	issue int
	conn  *sql.Conn
	// begin, commit and rollback are prepared too: going through
	// database/sql's Tx would parse them again for every group.
	begin, commit, rollback *sql.Stmt
	claim, sent             *sql.Stmt
	// apply is the whole group in one statement, where the database is a
	// round trip away (dialect.ledgerStatement); the others are then nil.
	apply *sql.Stmt
}

// Claim is a row for Ledger.Commit to move from status From to sending
// (counting the attempt); Commit sets Claimed to whether it did, which it
// does not if the row was no longer in status From.
type Claim struct {
	SubscriberID int64
	From         DeliveryStatus
	Claimed      bool
}

// Ledger prepares the statements of a send of issue.
func (s *Store) Ledger(ctx context.Context, issue int) (*Ledger, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("ledger of issue %d: %w", issue, err)
	}
	l := &Ledger{s: s, issue: issue, conn: conn}
	type prep struct {
		stmt **sql.Stmt
		id   queryID
	}
	preps := []prep{
		{&l.begin, qLedgerBegin},
		{&l.commit, qLedgerCommit},
		{&l.rollback, qLedgerRollback},
		{&l.claim, qLedgerClaim},
		{&l.sent, qLedgerSent},
	}
	if s.dialect.ledgerStatement {
		preps = []prep{{&l.apply, qLedgerApply}}
	}
	for _, p := range preps {
		if *p.stmt, err = conn.PrepareContext(ctx, s.texts[p.id]); err != nil {
			l.Close()
			return nil, fmt.Errorf("ledger of issue %d: %w", issue, err)
		}
	}
	return l, nil
}

// Commit records, in one committed transaction, that the mail server
// accepted the messages of the sent rows, and claims the claims' rows. If
// it fails, none of it is recorded.
func (l *Ledger) Commit(ctx context.Context, claims []Claim, sent []int64) error {
	if len(claims) == 0 && len(sent) == 0 {
		return nil
	}
	if err := l.write(ctx, claims, sent); err != nil {
		for i := range claims {
			claims[i].Claimed = false
		}
		return fmt.Errorf("ledger of issue %d: commit %d claims and %d sent: %w", l.issue, len(claims), len(sent), err)
	}
	return nil
}

func (l *Ledger) write(ctx context.Context, claims []Claim, sent []int64) error {
	if l.apply != nil {
		return l.applyOne(ctx, claims, sent)
	}
	if _, err := l.begin.ExecContext(ctx); err != nil {
		return err
	}
	now := l.s.timeArg(l.s.now())
	err := func() error {
		// One statement for the group's marks, and one for its claims from
		// each status (all of them from one, as a rule).
		if len(sent) > 0 {
			if _, err := l.sent.ExecContext(ctx, now, now, l.issue, l.s.idList(sent)); err != nil {
				return err
			}
		}
		for from := range claimStatuses(claims) {
			var ids []int64
			for _, c := range claims {
				if c.From == from {
					ids = append(ids, c.SubscriberID)
				}
			}
			rows, err := l.claim.QueryContext(ctx, now, l.issue, string(from), l.s.idList(ids))
			if err != nil {
				return err
			}
			claimed := map[int64]bool{}
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				claimed[id] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for i := range claims {
				if claims[i].From == from {
					claims[i].Claimed = claimed[claims[i].SubscriberID]
				}
			}
		}
		_, err := l.commit.ExecContext(ctx)
		return err
	}()
	if err != nil {
		// A failed COMMIT may leave the transaction open; a ROLLBACK with
		// none open fails harmlessly.
		l.rollback.ExecContext(context.WithoutCancel(ctx))
	}
	return err
}

// applyOne writes the group in the one statement ledger-apply: one round
// trip, its own transaction.
func (l *Ledger) applyOne(ctx context.Context, claims []Claim, sent []int64) error {
	ids := make([]int64, len(claims))
	froms := make([]string, len(claims))
	for i, c := range claims {
		ids[i], froms[i] = c.SubscriberID, string(c.From)
	}
	if sent == nil {
		sent = []int64{}
	}
	rows, err := l.apply.QueryContext(ctx, l.s.timeArg(l.s.now()), l.issue, sent, ids, froms)
	if err != nil {
		return err
	}
	defer rows.Close()
	claimed := map[int64]bool{}
	for rows.Next() {
		var id int64
		var isClaim bool
		if err := rows.Scan(&id, &isClaim); err != nil {
			return err
		}
		if isClaim {
			claimed[id] = true
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range claims {
		claims[i].Claimed = claimed[claims[i].SubscriberID]
	}
	return nil
}

// claimStatuses is the set of statuses claims are made from.
func claimStatuses(claims []Claim) map[DeliveryStatus]bool {
	out := map[DeliveryStatus]bool{}
	for _, c := range claims {
		out[c.From] = true
	}
	return out
}

// idList is a list of ids as a batch statement takes it (see
// dialect.jsonLists).
func (s *Store) idList(ids []int64) any {
	if !s.dialect.jsonLists {
		return ids
	}
	b := make([]byte, 0, 8*len(ids)+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// Close releases the prepared statements and the connection.
func (l *Ledger) Close() error {
	var errs []error
	for _, st := range []*sql.Stmt{l.begin, l.commit, l.rollback, l.claim, l.sent, l.apply} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(append(errs, l.conn.Close())...)
}
