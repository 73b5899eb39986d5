package newsletter

import (
	"context"
	"fmt"
	"sync"

	gomail "github.com/wneessen/go-mail"
	"golang.org/x/time/rate"

	"github.com/bulletin-app/bulletin/internal/shutdown"
	"github.com/bulletin-app/bulletin/store"
)

// job is one ledger row to deliver.
type job struct{ d store.Delivery }

// pauseError is the cause of a send stopped after failures in a row.
type pauseError struct{ reason string }

func (e pauseError) Error() string { return e.reason }

// pool is the shared state of one send's workers.
type pool struct {
	n        *Newsletter
	issue    int
	r        *rendered
	from     store.DeliveryStatus
	limiter  *rate.Limiter
	cancel   context.CancelCauseFunc
	progress func(Progress)
	lw       *ledgerWriter

	mu       sync.Mutex
	sum      *Summary
	failsRow int
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

// run starts the workers, each on its own connection, and feeds them the
// rows to send until none is left, a stop is asked for or the send is
// cancelled. It returns once every worker is done, with the error of
// reading the ledger, if any.
func (p *pool) run(ctx context.Context, client *gomail.Client) error {
	n := p.n
	jobs := make(chan job, 2*n.opts.Concurrency)
	var wg sync.WaitGroup
	for range n.opts.Concurrency {
		c := n.newConn(client, func(string) string { return "" })
		wk := &worker{c: c, reply: make(chan error, 1)}
		wg.Go(func() {
			defer c.close()
			for j := range jobs {
				if shutdown.Requested(ctx) {
					continue // drain: what is queued waits for the next run
				}
				if err := p.deliver(ctx, wk, j.d); err != nil {
					p.cancel(err)
				}
			}
		})
	}
	// Page through the ledger by subscriber id: memory stays flat however
	// many subscribers there are.
	var after int64
	var ferr error
feed:
	for !shutdown.Requested(ctx) {
		batch, err := n.st.Deliveries(ctx, p.issue, p.from, false, after, 256)
		if err != nil {
			ferr = err
			break
		}
		if len(batch) == 0 {
			break
		}
		for _, d := range batch {
			select {
			case jobs <- job{d}:
			case <-shutdown.Done(ctx): // a stop: in flight finishes, nothing new starts
				break feed
			case <-ctx.Done():
				break feed
			}
			after = d.SubscriberID
		}
	}
	close(jobs)
	wg.Wait()
	return ferr
}

// worker is one worker's connection and what it reuses message after
// message.
type worker struct {
	c     conn
	claim store.Claim
	reply chan error
}
