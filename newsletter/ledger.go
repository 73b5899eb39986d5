package newsletter

import (
	"context"
	"time"

	"github.com/bulletin-app/bulletin/store"
)

// ledgerWriter is the one goroutine that writes a send's claims and "sent"
// marks. A claim is committed at once, together with whatever else the
// workers have asked for by then (group commit); "sent" marks wait for the
// next claim's commit, or markDelay at most. So a send pays for about one
// commit per message instead of two, and the workers never wait on each
// other's SQLite locks.
//
// Requests are committed in the order they arrive on one channel. A worker
// queues its row's "sent" mark before it can ask to claim its next row, and
// waits for that claim to commit: so by the time a worker has a row
// claimed, its previous row's mark is committed, and a connection never has
// more than one row in "sending", as with a commit per write.
type ledgerWriter struct {
	l    *store.Ledger
	reqs chan ledgerReq
	done chan struct{}
	// fail is told when "sent" marks could not be committed: the send must
	// stop, since the ledger no longer knows what it delivered.
	fail func(error)
}

// ledgerReq is a claim (claim set; the result comes back on reply) or a
// "sent" mark (claim nil).
type ledgerReq struct {
	claim *store.Claim
	reply chan error
	sent  int64
}

// maxLedgerBatch bounds one transaction, so that a claim never waits behind
// an unbounded backlog of marks.
const maxLedgerBatch = 256

// markDelay is how long "sent" marks may wait for a claim to share its
// commit with. A claim waits for nobody: it is what keeps a message from
// being sent twice, and its worker is blocked on it.
const markDelay = 5 * time.Millisecond

func newLedgerWriter(l *store.Ledger, workers int, fail func(error)) *ledgerWriter {
	w := &ledgerWriter{l: l, reqs: make(chan ledgerReq, 2*workers), done: make(chan struct{}), fail: fail}
	go w.run()
	return w
}

func (w *ledgerWriter) run() {
	defer close(w.done)
	var (
		claims  []store.Claim
		waiting []ledgerReq
		sent    []int64
		flush   <-chan time.Time // armed while marks wait without a claim
	)
	add := func(r ledgerReq) {
		if r.claim != nil {
			claims = append(claims, *r.claim)
			waiting = append(waiting, r)
		} else {
			sent = append(sent, r.sent)
		}
	}
	commit := func() {
		// The marks record what the server has accepted: they are written
		// even when the send is being cancelled.
		err := w.l.Commit(context.Background(), claims, sent)
		for i, r := range waiting {
			r.claim.Claimed = claims[i].Claimed
			r.reply <- err
		}
		if err != nil && len(sent) > 0 {
			w.fail(err)
		}
		claims, waiting, sent = claims[:0], waiting[:0], sent[:0]
		flush = nil
	}
	for {
		select {
		case r, ok := <-w.reqs:
			if !ok {
				commit()
				return
			}
			add(r)
		case <-flush:
			commit()
			continue
		}
	more:
		for len(claims)+len(sent) < maxLedgerBatch {
			select {
			case r, ok := <-w.reqs:
				if !ok {
					break more // seen again by the outer select
				}
				add(r)
			default:
				break more
			}
		}
		switch {
		case len(claims) > 0 || len(sent) >= maxLedgerBatch:
			commit()
		case flush == nil:
			flush = time.After(markDelay)
		}
	}
}

// claim moves a row to "sending" in a committed transaction and reports
// whether it was still in status from.
func (w *ledgerWriter) claim(ctx context.Context, c *store.Claim, reply chan error) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	w.reqs <- ledgerReq{claim: c, reply: reply}
	err := <-reply
	return c.Claimed, err
}

// markSent queues the record that the server accepted a row's message; it
// is committed with the next group, at the latest when close returns.
func (w *ledgerWriter) markSent(subscriberID int64) {
	w.reqs <- ledgerReq{sent: subscriberID}
}

// close commits what is queued and stops the writer. No claim or mark may
// be asked for after it is called.
func (w *ledgerWriter) close() error {
	close(w.reqs)
	<-w.done
	return w.l.Close()
}
