package newsletter

import (
	"context"
	"time"

	"github.com/bulletin-app/bulletin/store"
)

// ledgerWriter is the one goroutine that writes a send's claims and "sent"
// marks, in groups (group commit): so a send pays for a fraction of a
// commit per message, and the workers never wait on each other's SQLite
// locks.
//
// A claim is committed as soon as no other worker is on its way to one: a
// worker says when it starts a message's transaction (start), and the
// writer holds a claim until every worker that started has claimed too, or
// given up, or groupWait has passed. The claims of connections that write
// their messages at about the same time then share one commit. "Sent" marks
// wait for the next claim's commit, or markDelay at most.
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
	// commits counts the transactions, for the send's log; read it after
	// close.
	commits int
}

type reqKind int

const (
	reqClaim   reqKind = iota // claim set; the result comes back on reply
	reqSent                   // sent is the row the server accepted
	reqStart                  // a worker starts a transaction that will end in a claim
	reqAbandon                // a worker that started will not claim after all
	reqSync                   // commit what is queued now; reply when done
)

type ledgerReq struct {
	kind  reqKind
	claim *store.Claim
	reply chan error
	sent  int64
}

// maxLedgerBatch bounds one transaction, so that a claim never waits behind
// an unbounded backlog of marks.
const maxLedgerBatch = 256

// markDelay is how long "sent" marks may wait for a claim to share its
// commit with.
const markDelay = 5 * time.Millisecond

// groupWait is the longest a claim waits for the claims of transactions
// under way. It is short beside one message's time on the wire, and a
// claim whose worker is alone in a transaction does not wait at all.
const groupWait = 300 * time.Microsecond

func newLedgerWriter(l *store.Ledger, workers int, fail func(error)) *ledgerWriter {
	w := &ledgerWriter{l: l, reqs: make(chan ledgerReq, 4*workers), done: make(chan struct{}), fail: fail}
	go w.run()
	return w
}

func (w *ledgerWriter) run() {
	defer close(w.done)
	var (
		claims  []store.Claim
		waiting []ledgerReq
		sent    []int64
		syncs   []chan error
		started int         // workers in a transaction that have not claimed yet
		since   time.Time   // when the oldest claim held arrived
		marked  time.Time   // when the oldest mark held arrived
		flush   *time.Timer // armed while something waits
		closed  bool
	)
	add := func(r ledgerReq) {
		switch r.kind {
		case reqClaim:
			if len(claims) == 0 {
				since = time.Now()
			}
			claims = append(claims, *r.claim)
			waiting = append(waiting, r)
			started = max(0, started-1)
		case reqSent:
			if len(sent) == 0 {
				marked = time.Now()
			}
			sent = append(sent, r.sent)
		case reqStart:
			started++
		case reqAbandon:
			started = max(0, started-1)
		case reqSync:
			syncs = append(syncs, r.reply)
		}
	}
	commit := func() {
		// The marks record what the server has accepted: they are written
		// even when the send is being cancelled.
		if len(claims)+len(sent) > 0 {
			w.commits++
		}
		err := w.l.Commit(context.Background(), claims, sent)
		for i, r := range waiting {
			r.claim.Claimed = claims[i].Claimed
			r.reply <- err
		}
		if err != nil && len(sent) > 0 {
			w.fail(err)
		}
		for _, r := range syncs {
			r <- err
		}
		claims, waiting, sent, syncs = claims[:0], waiting[:0], sent[:0], syncs[:0]
	}
	flush = time.NewTimer(time.Hour)
	flush.Stop()
	for {
		// Take everything already queued.
	more:
		for !closed && len(claims)+len(sent) < maxLedgerBatch {
			select {
			case r, ok := <-w.reqs:
				if !ok {
					closed = true
					break more
				}
				add(r)
			default:
				break more
			}
		}
		var wait time.Duration
		switch {
		case closed:
			commit()
			return
		case len(claims)+len(sent) >= maxLedgerBatch, len(syncs) > 0:
			commit()
			continue
		case len(claims) > 0:
			if started == 0 {
				commit()
				continue
			}
			if wait = groupWait - time.Since(since); wait <= 0 {
				commit()
				continue
			}
		case len(sent) > 0:
			if wait = markDelay - time.Since(marked); wait <= 0 {
				commit()
				continue
			}
		}
		if wait > 0 {
			flush.Reset(wait)
		}
		select {
		case r, ok := <-w.reqs:
			if !ok {
				closed = true
			} else {
				add(r)
			}
		case <-flush.C:
			commit()
		}
		if wait > 0 && !flush.Stop() {
			select {
			case <-flush.C:
			default:
			}
		}
	}
}

// start says a worker begins a message's transaction: its claim will
// follow, unless it calls abandon.
func (w *ledgerWriter) start() { w.reqs <- ledgerReq{kind: reqStart} }

// abandon says a worker that started will not claim.
func (w *ledgerWriter) abandon() { w.reqs <- ledgerReq{kind: reqAbandon} }

// claim moves a row to "sending" in a committed transaction and reports
// whether it was still in status from. A worker that started asks it once
// the message is written but for its final ".".
func (w *ledgerWriter) claim(ctx context.Context, c *store.Claim, reply chan error) (bool, error) {
	if err := ctx.Err(); err != nil {
		w.abandon()
		return false, err
	}
	w.reqs <- ledgerReq{kind: reqClaim, claim: c, reply: reply}
	err := <-reply
	return c.Claimed, err
}

// markSent queues the record that the server accepted a row's message; it
// is committed with the next group, at the latest when close returns.
func (w *ledgerWriter) markSent(subscriberID int64) {
	w.reqs <- ledgerReq{kind: reqSent, sent: subscriberID}
}

// sync commits the marks queued so far, and returns once they are.
func (w *ledgerWriter) sync() error {
	reply := make(chan error, 1)
	w.reqs <- ledgerReq{kind: reqSync, reply: reply}
	return <-reply
}

// close commits what is queued and stops the writer. No claim or mark may
// be asked for after it is called.
func (w *ledgerWriter) close() error {
	close(w.reqs)
	<-w.done
	return w.l.Close()
}
