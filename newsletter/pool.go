package newsletter

import (
	"context"
	"fmt"
	"sync"

	gomail "github.com/wneessen/go-mail"

	"github.com/bulletin-app/bulletin/internal/shutdown"
	"github.com/bulletin-app/bulletin/store"
)

// job is one ledger row to deliver, and the chunk of a shared send it is
// part of (nil for a send of its own).
type job struct {
	d     store.Delivery
	chunk *heldChunk
}

// finish says the job is settled: delivered, failed, put back or skipped.
func (j job) finish() {
	if j.chunk != nil {
		j.chunk.finish()
	}
}

// waiter paces messages: a rate.Limiter, or sharedRate where the rate is
// the database's.
type waiter interface{ Wait(context.Context) error }

// pauseError is the cause of a send stopped after failures in a row.
type pauseError struct{ reason string }

func (e pauseError) Error() string { return e.reason }

// pool is the shared state of one send's workers.
type pool struct {
	n        *Newsletter
	issue    int
	r        *rendered
	from     store.DeliveryStatus
	limiter  waiter
	cancel   context.CancelCauseFunc
	progress func(Progress)
	lw       *ledgerWriter

	mu       sync.Mutex
	sum      *Summary
	failsRow int
	// releases are the chunks of a shared send being let go of; run waits
	// for them.
	releases sync.WaitGroup
}

type outcome int

const (
	outSent outcome = iota
	outFailed
	outBounced
	outSkipped
	outUnconfirmed
)

func (p *pool) record(o outcome, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch o {
	case outSent:
		p.sum.Sent++
		p.failsRow = 0
	case outFailed, outUnconfirmed:
		// A connection that breaks at the end of DATA says, like a
		// failure, that the server is in trouble.
		if o == outFailed {
			p.sum.Failed++
		} else {
			p.sum.Unconfirmed++
			p.sum.NewUnconfirmed++
		}
		p.failsRow++
		if limit := p.n.opts.PauseAfter; limit > 0 && p.failsRow >= limit {
			p.cancel(pauseError{fmt.Sprintf("%d deliveries failed in a row, the last with: %s", p.failsRow, reason)})
		}
	case outBounced:
		// A dead address says nothing about the server: it does not count
		// towards pausing.
		p.sum.Failed++
		p.sum.Bounced++
	case outSkipped:
		p.sum.Skipped++
	}
	if p.progress != nil {
		s := p.sum
		p.progress(Progress{Total: s.Total, Done: s.Sent + s.Failed + s.Skipped + s.Unconfirmed, Sent: s.Sent, Failed: s.Failed, Skipped: s.Skipped})
	}
}

// run starts the workers, each on its own connection, and has feed queue
// the rows to send until none is left, a stop is asked for or the send is
// cancelled. It returns once every worker is done, with the error of
// reading the ledger, if any.
func (p *pool) run(ctx context.Context, client *gomail.Client, feed func(context.Context, chan<- job) error) error {
	n := p.n
	jobs := make(chan job, 2*n.opts.Concurrency)
	var wg sync.WaitGroup
	for range n.opts.Concurrency {
		c := n.newConn(client, func(string) string { return "" })
		wk := &worker{c: c, reply: make(chan error, 1)}
		wg.Go(func() {
			defer c.close()
			for j := range jobs {
				// On a stop, what is queued is drained: it waits for the
				// next run.
				if !shutdown.Requested(ctx) {
					if err := p.deliver(ctx, wk, j.d); err != nil {
						p.cancel(err)
					}
				}
				j.finish()
			}
		})
	}
	ferr := feed(ctx, jobs)
	close(jobs)
	wg.Wait()
	p.releases.Wait()
	return ferr
}

// feedLedger queues the issue's rows in status p.from, for a send that
// is this process's alone. It pages through the ledger by subscriber id:
// memory stays flat however many subscribers there are.
func (p *pool) feedLedger(ctx context.Context, jobs chan<- job) error {
	var after int64
	for !shutdown.Requested(ctx) {
		batch, err := p.n.st.Deliveries(ctx, p.issue, p.from, false, after, 256)
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		for _, d := range batch {
			select {
			case jobs <- job{d: d}:
			case <-shutdown.Done(ctx): // a stop: in flight finishes, nothing new starts
				return nil
			case <-ctx.Done():
				return nil
			}
			after = d.SubscriberID
		}
	}
	return nil
}

// worker is one worker's connection and what it reuses message after
// message.
type worker struct {
	c     conn
	claim store.Claim
	reply chan error
}
