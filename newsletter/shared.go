package newsletter

import (
	"context"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/bulletin-app/bulletin/internal/shutdown"
	"github.com/bulletin-app/bulletin/store"
)

// deliverShared is the send of an issue that any number of processes run
// at once (where the store shares sends: PostgreSQL). Each takes chunks
// of the ledger that no other holds, one after another, and sends their
// pending rows; a process that dies lets go of its chunk with its
// database connection, and whichever sender looks next takes it up, the
// rows its messages were in flight on left in "sending" (unconfirmed), as
// after any crash. The ledger's rules are those of a send of one process.
func (n *Newsletter) deliverShared(ctx context.Context, issue int, r *rendered, req SendRequest, sum *Summary) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sum.Shared = true
	if _, err := n.st.PlanDeliveries(ctx, issue, n.msgDomain); err != nil {
		return err
	}
	counts, err := n.st.DeliveryCounts(ctx, issue)
	if err != nil {
		return err
	}
	sum.AlreadySent = counts[store.DeliverySent]
	sum.Total = counts[store.DeliveryPending]
	// Unconfirmed rows of chunks held by no one now; those of the chunks
	// this process takes are counted as it takes them.
	if sum.Unconfirmed, err = n.st.UnconfirmedSettled(ctx, issue); err != nil {
		return err
	}

	var client *gomail.Client
	if n.opts.SMTP.Host != "" {
		if client, err = n.newSMTPClient(); err != nil {
			return err
		}
	}
	ledger, err := n.st.Ledger(ctx, issue)
	if err != nil {
		return err
	}
	lw := newLedgerWriter(ledger, n.opts.Concurrency, cancel)
	p := &pool{n: n, issue: issue, r: r, from: store.DeliveryPending, limiter: n.sendLimiter(), cancel: cancel, sum: sum, progress: req.Progress, lw: lw}
	ferr := p.run(ctx, client, p.feedChunks)
	err = n.endSend(ctx, issue, p, ferr)
	pending, perr := n.st.PendingDeliveries(context.WithoutCancel(ctx), issue)
	switch {
	case perr != nil:
	case err != nil:
		// Stopped short: what is pending is left for the next run, as a
		// send of one process leaves it.
		sum.Remaining = pending
	default:
		// This process found no chunk left to take: what is pending beyond
		// what it left is in the chunks of senders still at work.
		sum.Others = max(0, pending-sum.Remaining)
	}
	return err
}

// feedChunks queues the pending rows of one chunk after another, as long
// as there is a chunk no other sender holds: first in order from the
// start, then once more from the start for those that others held then
// and have let go of unfinished (a sender died, or left rows pending after
// their retries).
func (p *pool) feedChunks(ctx context.Context, jobs chan<- job) error {
	after := int64(-1)
	var taken []int64
	again := false
	for !shutdown.Requested(ctx) && ctx.Err() == nil {
		var skip []int64
		if again {
			skip = taken
		}
		c, err := p.n.st.TakeChunk(ctx, p.issue, after, skip)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if c == nil {
			if again {
				return nil
			}
			again, after = true, -1
			continue
		}
		taken = append(taken, c.Number)
		if !again {
			after = c.Number
		}
		h := &heldChunk{c: c, release: p.releaseChunk}
		err = p.feedChunk(ctx, h, jobs)
		h.allQueued()
		if err != nil {
			return err
		}
	}
	return nil
}

// feedChunk settles the rows a chunk's last holder left in "sending" and
// queues its pending ones.
func (p *pool) feedChunk(ctx context.Context, h *heldChunk, jobs chan<- job) error {
	rows, err := h.c.Rows(ctx)
	if err != nil {
		return err
	}
	for _, d := range rows {
		if d.Status != store.DeliverySending {
			continue
		}
		// The chunk is held: no sender has this row in flight.
		if err := p.settleSending(ctx, d); err != nil {
			return err
		}
	}
	for _, d := range rows {
		if d.Status != store.DeliveryPending {
			continue
		}
		h.add()
		select {
		case jobs <- job{d: d, chunk: h}:
		case <-shutdown.Done(ctx): // a stop: in flight finishes, nothing new starts
			h.finish()
			return nil
		case <-ctx.Done():
			h.finish()
			return nil
		}
	}
	return nil
}

// settleSending settles one row found in "sending" as recoverSending does.
func (p *pool) settleSending(ctx context.Context, d store.Delivery) error {
	if p.n.opts.SMTP.Host != "" {
		p.mu.Lock()
		p.sum.Unconfirmed++
		p.mu.Unlock()
	}
	return p.n.settleSending(ctx, p.issue, d)
}

// releaseChunk lets go of a chunk whose rows are all settled, once their
// "sent" marks are committed: the next holder must not find a delivered
// row in "sending".
func (p *pool) releaseChunk(h *heldChunk) {
	p.releases.Go(func() {
		ctx := context.Background()
		if err := p.lw.sync(); err != nil {
			p.n.log.Error("ledger marks not committed; leaving the chunk to end with the connection", "issue", p.issue, "chunk", h.c.Number, "err", err)
			h.c.Abort()
			return
		}
		pending, err := h.c.Release(ctx)
		if err != nil {
			p.n.log.Warn("lost the hold of a chunk of the ledger", "issue", p.issue, "err", err)
			return
		}
		p.mu.Lock()
		p.sum.Remaining += pending
		p.mu.Unlock()
	})
}

// heldChunk is a chunk of a shared send and the count of its rows still in
// the pool's hands; it is let go of once the last is settled.
type heldChunk struct {
	c       *store.Chunk
	release func(*heldChunk)

	mu     sync.Mutex
	left   int  // rows queued or in flight
	queued bool // every row to send is queued
}

func (h *heldChunk) add() {
	h.mu.Lock()
	h.left++
	h.mu.Unlock()
}

func (h *heldChunk) finish() {
	h.mu.Lock()
	h.left--
	last := h.queued && h.left == 0
	h.mu.Unlock()
	if last {
		h.release(h)
	}
}

func (h *heldChunk) allQueued() {
	h.mu.Lock()
	h.queued = true
	last := h.left == 0
	h.mu.Unlock()
	if last {
		h.release(h)
	}
}

// sharedRate keeps every process sending from one database to one rate:
// each message starts no earlier than a moment of its own, taken from the
// store (store.ReserveSendTime), and those moments are 1/rate apart
// whichever process took them. A process takes a few at a time (what its
// connections use in a tenth of a second at most), so that pacing costs a
// round trip every few messages; those of a process that stops or dies are
// not used by anyone: the rate can only be lower for it.
type sharedRate struct {
	st    *store.Store
	every time.Duration
	take  int

	mu   sync.Mutex
	next time.Time
	left int
}

// sharedRateName is the rate's row: one for every send of the newsletter,
// since the mail provider's limit is on all of them together.
const sharedRateName = "newsletter"

func newSharedRate(st *store.Store, perSecond float64, concurrency int) *sharedRate {
	every := time.Duration(float64(time.Second) / perSecond)
	take := min(max(concurrency, 1), max(1, int(perSecond/10)))
	return &sharedRate{st: st, every: every, take: take}
}

func (r *sharedRate) Wait(ctx context.Context) error {
	r.mu.Lock()
	if r.left == 0 {
		wait, err := r.st.ReserveSendTime(ctx, sharedRateName, time.Duration(r.take)*r.every)
		if err != nil {
			r.mu.Unlock()
			return err
		}
		r.next, r.left = time.Now().Add(wait), r.take
	}
	at := r.next
	r.next = r.next.Add(r.every)
	r.left--
	r.mu.Unlock()
	if d := time.Until(at); d > 0 && !sleep(ctx, d) {
		return ctx.Err()
	}
	return nil
}
