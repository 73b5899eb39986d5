package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// sendChunkSize is how many consecutive subscriber ids one chunk of a
// shared send covers at most: small enough that a sender that dies leaves
// little for the others to take up, large enough that taking a chunk (a
// few round trips to the database) costs little beside sending it.
const sendChunkSize = 128

// Below sendChunkSize, an issue's chunks are cut so that its ledger is
// about sendChunks chunks, and none narrower than minSendChunkSize: a
// list too small to fill sendChunks chunks of the full width is still
// shared by several senders.
const (
	sendChunks       = 32
	minSendChunkSize = 4
)

// chunkSize is the width of the chunks of a ledger whose subscriber ids
// span span ids.
func chunkSize(span int64) int64 {
	return min(sendChunkSize, max(minSendChunkSize, (span+sendChunks-1)/sendChunks))
}

// planChunks cuts issue's pending rows into chunks, in the transaction of
// PlanDeliveries: of the width its chunks already have, if any (an issue
// planned again after subscribers joined), else of chunkSize, and
// reopens the done chunks that have pending rows again.
func planChunks(ctx context.Context, tx runner, issue int) error {
	var size, span int64
	if err := tx.queryRow(ctx, qChunkSize, issue).Scan(&size, &span); err != nil {
		return err
	}
	if size <= 0 {
		size = chunkSize(span)
	}
	if _, err := tx.exec(ctx, qChunksPlan, issue, size); err != nil {
		return err
	}
	_, err := tx.exec(ctx, qChunksReopen, issue, size)
	return err
}

// SharesSends reports whether several processes can send one issue at the
// same time, each taking chunks of its ledger (PostgreSQL). Where it is
// false (SQLite, one writer at a time), a send is one process's, under the
// send lease.
func (s *Store) SharesSends() bool { return s.dialect.sharedSends }

// Chunk is a part of an issue's ledger that one sender holds while it
// sends it: the rows of subscribers First ≤ id < End. The hold is a row
// lock in a transaction left open on a connection of its own, so it ends
// with the holder's connection: a sender that dies lets go of its chunk at
// once, and the next sender to look takes it up.
type Chunk struct {
	Issue      int
	Number     int64
	First, End int64 // End - First is the issue's chunk width

	s  *Store
	tx *sql.Tx
}

// TakeChunk takes the first chunk of issue after number after, and not
// among skip, that is not done and that no other sender holds; nil when
// there is none. Release it when its rows are settled.
func (s *Store) TakeChunk(ctx context.Context, issue int, after int64, skip []int64) (*Chunk, error) {
	if !s.dialect.sharedSends {
		return nil, errors.New("take a chunk: sends are not shared on " + s.dialect.name)
	}
	// The hold ends when Release or Abort says, not when ctx does: a
	// rollback database/sql made on its own, after the send returned,
	// would leave the chunk held for a moment after, and the next send
	// would skip it.
	tx, err := s.db.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return nil, fmt.Errorf("take a chunk of issue %d: %w", issue, err)
	}
	// A resend running closes the issue's gate (HoldAllChunks): nothing to
	// take until it ends.
	var open bool
	if err := tx.StmtContext(ctx, s.stmts[qChunkGate]).QueryRowContext(ctx, issue).Scan(&open); err != nil || !open {
		tx.Rollback()
		if err != nil {
			return nil, fmt.Errorf("take a chunk of issue %d: %w", issue, err)
		}
		return nil, nil
	}
	if skip == nil {
		skip = []int64{}
	}
	var n, size int64
	err = tx.StmtContext(ctx, s.stmts[qChunkTake]).QueryRowContext(ctx, issue, after, skip).Scan(&n, &size)
	if err != nil {
		tx.Rollback()
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, fmt.Errorf("take a chunk of issue %d: %w", issue, err)
	}
	return &Chunk{Issue: issue, Number: n, First: n * size, End: (n + 1) * size, s: s, tx: tx}, nil
}

// Rows returns the chunk's rows still to settle, pending or sending, in
// id order: those in "sending" were left so by a holder that ended (the
// chunk is held: no sender has them in flight).
func (c *Chunk) Rows(ctx context.Context) ([]Delivery, error) {
	rows, err := c.s.query(ctx, qChunkRows, c.Issue, c.First, c.End)
	if err == nil {
		var out []Delivery
		if out, err = scanDeliveries(rows); err == nil {
			return out, nil
		}
	}
	return nil, fmt.Errorf("rows of chunk %d of issue %d: %w", c.Number, c.Issue, err)
}

// Release lets go of the chunk, marked done unless rows of confirmed
// subscribers are still pending in it, and returns how many are. If the
// hold was lost meanwhile (the database closed its connection), the error
// says so; another sender may have taken the chunk, and the ledger's
// conditional claims kept its rows from going out twice.
func (c *Chunk) Release(ctx context.Context) (pending int, err error) {
	defer func() {
		if err != nil {
			c.tx.Rollback()
			err = fmt.Errorf("release chunk %d of issue %d: %w", c.Number, c.Issue, err)
		}
	}()
	// The count is read on the store's pool: the ledger's marks committed
	// since the hold began are seen.
	if err := c.s.queryRow(ctx, qChunkPending, c.Issue, c.Number, c.End-c.First).Scan(&pending); err != nil {
		return 0, err
	}
	if _, err := c.tx.StmtContext(ctx, c.s.stmts[qChunkDone]).ExecContext(ctx, pending == 0, c.Issue, c.Number); err != nil {
		return 0, err
	}
	return pending, c.tx.Commit()
}

// Abort lets go of the chunk as it was, not done.
func (c *Chunk) Abort() { c.tx.Rollback() }

// HoldAllChunks holds every chunk of issue until release is called, for a
// send that must be the only one (a resend of failed or unconfirmed rows):
// shared senders then find nothing to take, not even a chunk planned after
// the hold began (a subscriber confirmed since), whose rows the resend
// would otherwise find in "sending" while a sender has them in flight, and
// send again. It closes the issue's gate, which every TakeChunk passes in
// its chunk's transaction, and locks the chunks too. If another sender
// holds one, the error wraps ErrLocked. Where sends are not shared it
// holds nothing: the send lease does that work.
func (s *Store) HoldAllChunks(ctx context.Context, issue int) (release func(), err error) {
	if !s.dialect.sharedSends {
		return func() {}, nil
	}
	tx, err := s.db.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return nil, err
	}
	var closed bool
	if err := tx.StmtContext(ctx, s.stmts[qChunksGateClose]).QueryRowContext(ctx, issue).Scan(&closed); err != nil || !closed {
		tx.Rollback()
		if err != nil {
			return nil, fmt.Errorf("hold the chunks of issue %d: %w", issue, err)
		}
		return nil, fmt.Errorf("issue %d: %w (a shared send holds part of its ledger)", issue, ErrLocked)
	}
	rows, err := tx.StmtContext(ctx, s.stmts[qChunksHoldAll]).QueryContext(ctx, issue)
	if err == nil {
		for rows.Next() {
		}
		rows.Close()
		err = rows.Err()
	}
	if err != nil {
		tx.Rollback()
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "55P03" {
			return nil, fmt.Errorf("issue %d: %w (a shared send holds part of its ledger)", issue, ErrLocked)
		}
		return nil, fmt.Errorf("hold the chunks of issue %d: %w", issue, err)
	}
	return func() { tx.Rollback() }, nil
}

// PendingDeliveries counts issue's rows of confirmed subscribers still
// pending.
func (s *Store) PendingDeliveries(ctx context.Context, issue int) (int, error) {
	var n int
	if err := s.queryRow(ctx, qPendingConfirmed, issue).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pending deliveries of issue %d: %w", issue, err)
	}
	return n, nil
}

// UnconfirmedSettled counts issue's rows in "sending" in chunks that are
// done, and so held by no sender: rows whose server reply was lost. Rows
// in "sending" in the other chunks may be in flight.
func (s *Store) UnconfirmedSettled(ctx context.Context, issue int) (int, error) {
	var n int
	if err := s.queryRow(ctx, qUnconfirmedSettled, issue).Scan(&n); err != nil {
		return 0, fmt.Errorf("count unconfirmed deliveries of issue %d: %w", issue, err)
	}
	return n, nil
}

// ReserveSendTime takes span of the rate limit name, shared by every
// process on the database: spans are handed out one after another, from
// the end of the last one taken or from now, whichever is later. It
// returns how long from now the span starts. On PostgreSQL "now" is the
// database's clock, so that senders on hosts whose clocks differ still
// keep to one rate.
func (s *Store) ReserveSendTime(ctx context.Context, name string, span time.Duration) (time.Duration, error) {
	var us int64
	var err error
	if s.dialect.sharedSends {
		err = s.queryRow(ctx, qRateReserve, name, span.Microseconds()).Scan(&us)
	} else {
		err = s.queryRow(ctx, qRateReserve, s.now().UnixMicro(), name, span.Microseconds()).Scan(&us)
	}
	if err != nil {
		return 0, fmt.Errorf("rate %s: %w", name, err)
	}
	return time.Duration(us) * time.Microsecond, nil
}
