package newsletter

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	"golang.org/x/time/rate"

	"github.com/bulletin-app/bulletin/internal/shutdown"
	"github.com/bulletin-app/bulletin/store"
)

// ErrPaused is returned when a send stopped after too many failures in a
// row; Summary.PauseReason says why. Running the send again goes on where it
// stopped.
var ErrPaused = errors.New("send paused")

// SendRequest says what Send does.
type SendRequest struct {
	Issue int // issue number; 0: the latest issue
	// DryRun renders every message and counts them without sending or
	// writing the ledger.
	DryRun bool
	// To sends one [TEST] copy to this address instead, outside the ledger.
	To string
	// ResendFailed retries only the ledger rows that failed before.
	ResendFailed bool
	// Progress, if set, is called after each message (from one goroutine at
	// a time); see TerminalProgress.
	Progress func(Progress)
	// Holder names this process in the send lock; empty: host and pid.
	Holder string
}

// Progress is a send's state so far.
type Progress struct {
	Total, Done, Sent, Failed, Skipped int
}

// Summary tells what a send did.
type Summary struct {
	Issue int
	Total int // messages this run set out to send
	Sent  int
	// Failed counts the messages that failed this run (Bounced among
	// them). Those refused for good are failed in the ledger; those that
	// only met temporary failures stay pending (and in Remaining) for the
	// next run.
	Failed      int
	Bounced     int // subscribers marked bounced this run
	Skipped     int // no longer confirmed, or taken by another sender
	AlreadySent int // delivered by earlier runs
	// Unconfirmed counts rows left in "sending": an earlier run died, or
	// this run's connection broke, between handing the message over and
	// reading the server's reply. They are not sent again (see
	// docs/delivery.md).
	Unconfirmed int
	Remaining   int // still pending when the send stopped
	PauseReason string
	DryRun      bool
	Test        bool
	Duration    time.Duration
}

func (s Summary) String() string {
	switch {
	case s.Test:
		return fmt.Sprintf("issue %d: test copy sent", s.Issue)
	case s.DryRun:
		return fmt.Sprintf("issue %d (dry run): %d to send, %d already sent", s.Issue, s.Total, s.AlreadySent)
	}
	out := fmt.Sprintf("issue %d: %d sent, %d failed, %d skipped (%d bounced, %d sent before, %d unconfirmed) in %s",
		s.Issue, s.Sent, s.Failed, s.Skipped, s.Bounced, s.AlreadySent, s.Unconfirmed, s.Duration.Round(time.Millisecond))
	if s.PauseReason != "" {
		out += fmt.Sprintf("; paused with %d pending: %s", s.Remaining, s.PauseReason)
	}
	return out
}

// Send delivers an issue to every confirmed subscriber who has not had it,
// once each, however often it is run or interrupted.
func (n *Newsletter) Send(ctx context.Context, req SendRequest) (Summary, error) {
	start := time.Now()
	is, err := n.loadIssue(ctx, req.Issue)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Issue: is.Number, DryRun: req.DryRun, Test: req.To != ""}
	if req.To != "" {
		err := n.sendTest(ctx, is, req.To)
		sum.Duration = time.Since(start)
		return sum, err
	}
	r, err := n.renderIssue(is, false)
	if err != nil {
		return sum, err
	}
	if req.DryRun {
		err := n.dryRun(ctx, is.Number, r, &sum)
		sum.Duration = time.Since(start)
		return sum, err
	}

	holder := req.Holder
	if holder == "" {
		host, _ := os.Hostname()
		holder = fmt.Sprintf("%s:%d:%s", host, os.Getpid(), randomToken(4))
	}
	lock := fmt.Sprintf("newsletter:send:%d", is.Number)
	if err := n.st.Lock(ctx, lock, holder, n.opts.LockTTL); err != nil {
		return sum, fmt.Errorf("send issue %d: %w", is.Number, err)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	renewing := make(chan struct{})
	go func() {
		defer close(renewing)
		n.keepLock(ctx, cancel, lock, holder)
	}()
	// The renewal must have ended before the unlock: one landing after it
	// would take the lock again, and block the next send for a lease.
	defer func() {
		cancel(nil)
		<-renewing
		n.st.Unlock(context.WithoutCancel(ctx), lock, holder)
	}()

	err = n.deliverIssue(ctx, cancel, is.Number, r, req, &sum)
	sum.Duration = time.Since(start)
	if counts, cerr := n.st.DeliveryCounts(context.WithoutCancel(ctx), is.Number); cerr == nil {
		sum.Remaining = counts[store.DeliveryPending]
	}
	return sum, err
}

func (n *Newsletter) loadIssue(ctx context.Context, number int) (store.Issue, error) {
	if number == 0 {
		return n.st.LatestIssue(ctx)
	}
	return n.st.Issue(ctx, number)
}

// keepLock renews the send lock until ctx ends; losing it stops the send,
// since another process may then take over.
func (n *Newsletter) keepLock(ctx context.Context, cancel context.CancelCauseFunc, lock, holder string) {
	if err := n.st.KeepLock(ctx, lock, holder, n.opts.LockTTL); err != nil {
		cancel(fmt.Errorf("lost the send lock: %w", err))
	}
}

// job is one ledger row to deliver.
type job struct{ d store.Delivery }

func (n *Newsletter) deliverIssue(ctx context.Context, cancel context.CancelCauseFunc, issue int, r *rendered, req SendRequest, sum *Summary) error {
	if err := n.recoverSending(ctx, issue, sum); err != nil {
		return err
	}
	from := store.DeliveryPending
	if req.ResendFailed {
		from = store.DeliveryFailed
	} else if _, err := n.st.PlanDeliveries(ctx, issue, n.msgDomain); err != nil {
		return err
	}
	counts, err := n.st.DeliveryCounts(ctx, issue)
	if err != nil {
		return err
	}
	sum.AlreadySent = counts[store.DeliverySent]
	sum.Total = counts[from]

	var client *gomail.Client
	if n.opts.SMTP.Host != "" {
		if client, err = n.newSMTPClient(); err != nil {
			return err
		}
	}
	var limiter *rate.Limiter
	if n.opts.Rate > 0 {
		// A burst of one: the cap holds over any interval, not on average.
		limiter = rate.NewLimiter(rate.Limit(n.opts.Rate), 1)
	}
	ledger, err := n.st.Ledger(ctx, issue)
	if err != nil {
		return err
	}
	lw := newLedgerWriter(ledger, n.opts.Concurrency, cancel)
	p := &pool{n: n, issue: issue, r: r, from: from, limiter: limiter, cancel: cancel, sum: sum, progress: req.Progress, lw: lw}

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
					cancel(err)
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
		batch, err := n.st.Deliveries(ctx, issue, from, false, after, 256)
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
	// Every "sent" mark is committed before the send returns.
	if err := lw.close(); err != nil && ferr == nil {
		ferr = err
	}
	if ferr != nil && ctx.Err() == nil {
		return ferr
	}
	if ctx.Err() == nil && shutdown.Requested(ctx) {
		return fmt.Errorf("issue %d: %w", issue, shutdown.ErrStopped)
	}
	if cause := context.Cause(ctx); cause != nil {
		var pe pauseError
		if errors.As(cause, &pe) {
			sum.PauseReason = pe.reason
			return fmt.Errorf("issue %d: %w: %s", issue, ErrPaused, pe.reason)
		}
		return cause
	}
	return nil
}

// recoverSending deals with rows an earlier run left in "sending". For the
// outbox the answer is on disk: the file is there or not. For SMTP it is
// not knowable; the row was marked just before the end of DATA, so the
// server has almost surely accepted it, and sending again would duplicate.
func (n *Newsletter) recoverSending(ctx context.Context, issue int, sum *Summary) error {
	var after int64
	for {
		rows, err := n.st.Deliveries(ctx, issue, store.DeliverySending, false, after, 500)
		if err != nil || len(rows) == 0 {
			return err
		}
		for _, d := range rows {
			after = d.SubscriberID
			if n.opts.SMTP.Host != "" {
				sum.Unconfirmed++
				n.log.Warn("delivery left unconfirmed by an interrupted send; not sending again",
					"issue", issue, "email", d.Email, "message_id", d.MessageID)
				continue
			}
			if _, statErr := os.Stat(filepath.Join(n.opts.OutboxDir, outboxName(issue, d.SubscriberID))); statErr == nil {
				err = n.st.MarkDeliverySent(ctx, issue, d.SubscriberID)
			} else {
				err = n.st.ReleaseDelivery(ctx, issue, d.SubscriberID, "interrupted before the outbox file was written")
			}
			if err != nil {
				return err
			}
		}
	}
}

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

// worker is one worker's connection and what it reuses message after
// message.
type worker struct {
	c     conn
	claim store.Claim
	reply chan error
}

// deliver sends one ledger row's message, retrying temporary failures. It
// returns an error only for what must stop the whole send (the store).
func (p *pool) deliver(ctx context.Context, wk *worker, d store.Delivery) error {
	c := wk.c
	n := p.n
	if d.SubscriberStatus != store.StatusConfirmed {
		p.record(outSkipped, "")
		return nil
	}
	msg, err := n.personalMsg(p.r, d.Email, d.Name, d.MessageID)
	if err != nil {
		if ferr := n.st.FailDelivery(ctx, p.issue, d.SubscriberID, err.Error(), false); ferr != nil {
			return ferr
		}
		p.record(outFailed, err.Error())
		return nil
	}
	if oc, ok := c.(*outboxConn); ok {
		oc.name = func(string) string { return outboxName(p.issue, d.SubscriberID) }
	}
	from := p.from
	for attempt := 0; ; attempt++ {
		if p.limiter != nil {
			if err := p.limiter.Wait(ctx); err != nil {
				return nil // the send is stopping
			}
		}
		claimed := false
		err := c.deliver(ctx, msg, d.Email, func() error {
			wk.claim = store.Claim{SubscriberID: d.SubscriberID, From: from}
			ok, err := p.lw.claim(ctx, &wk.claim, wk.reply)
			if err != nil {
				return err
			}
			if !ok {
				return errNotClaimed
			}
			claimed = true
			return nil
		})
		if err == nil {
			// The server said 250: record it, even if the send is being
			// cancelled meanwhile. The mark is committed with the next
			// group, before this worker's next claim.
			p.lw.markSent(d.SubscriberID)
			p.record(outSent, "")
			return nil
		}
		var ce errCommit
		if errors.As(err, &ce) {
			if errors.Is(err, errNotClaimed) {
				p.record(outSkipped, "")
				return nil
			}
			if ctx.Err() != nil {
				return nil
			}
			return ce.err
		}
		var se *sendError
		if !errors.As(err, &se) {
			se = &sendError{temp: true, err: err}
		}
		if se.unknown {
			// The row stays "sending", as after a crash in the same
			// window: not sent again (see docs/delivery.md).
			n.log.Warn("delivery left unconfirmed: the connection broke before the server's reply; not sending again",
				"email", d.Email, "message_id", d.MessageID, "err", se)
			p.record(outUnconfirmed, se.Error())
			return nil
		}
		wctx := context.WithoutCancel(ctx)
		if se.temp && attempt < n.opts.Retries && ctx.Err() == nil {
			if claimed {
				if err := n.st.ReleaseDelivery(wctx, p.issue, d.SubscriberID, se.Error()); err != nil {
					return err
				}
				// Released rows are pending; an unclaimed one is still
				// where it was (failed, with --resend-failed).
				from = store.DeliveryPending
			}
			n.log.Debug("temporary failure, retrying", "email", d.Email, "attempt", attempt+1, "err", se)
			if !sleep(ctx, backoff(n.opts.RetryBackoff, attempt)) {
				return nil
			}
			continue
		}
		if se.temp && ctx.Err() != nil {
			// Stopping: leave the row for the next run.
			if claimed {
				return n.st.ReleaseDelivery(wctx, p.issue, d.SubscriberID, se.Error())
			}
			return nil
		}
		if se.temp {
			// Out of retries, but the server never refused the message
			// for good (it is down, or busy): the row stays pending, so
			// that the next run tries again, as it does after a pause.
			if claimed {
				if err := n.st.ReleaseDelivery(wctx, p.issue, d.SubscriberID, se.Error()); err != nil {
					return err
				}
			}
			n.log.Warn("delivery postponed: temporary failures outlasted the retries", "email", d.Email, "err", se)
			p.record(outFailed, se.Error())
			return nil
		}
		bounce := se.bounced()
		if err := n.st.FailDelivery(wctx, p.issue, d.SubscriberID, se.Error(), bounce); err != nil {
			return err
		}
		n.log.Warn("delivery failed", "email", d.Email, "bounced", bounce, "err", se)
		if bounce {
			p.record(outBounced, se.Error())
		} else {
			p.record(outFailed, se.Error())
		}
		return nil
	}
}

var errNotClaimed = errors.New("delivery taken by another sender")

// backoff is the wait before retry attempt+1: base doubled each time, with
// up to a quarter of jitter so that workers do not retry in step.
func backoff(base time.Duration, attempt int) time.Duration {
	d := base << min(attempt, 10)
	return d + time.Duration(rand.Int64N(int64(d)/4+1))
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// personalMsg builds one subscriber's message of the rendered issue.
func (n *Newsletter) personalMsg(r *rendered, email, name, messageID string) (*gomail.Msg, error) {
	addr, err := ParseAddress(email)
	if err != nil {
		return nil, err
	}
	name = cleanName(name)
	token := n.UnsubscribeToken(addr.Address)
	pc := r.personal(addr.Address, name, n.pageURL("/unsubscribe", token))
	addr.Name = name
	return n.buildMsg(message{to: addr, messageID: messageID, subject: r.subject, writeHTML: pc.writeHTML, writeText: pc.writeText, unsubscribe: token})
}

// dryRun renders every message that a send would and counts them.
func (n *Newsletter) dryRun(ctx context.Context, issue int, r *rendered, sum *Summary) error {
	// A send sends only pending rows: sent, failed and unconfirmed ones are
	// not counted as to send.
	done := map[int64]bool{}
	for _, status := range []store.DeliveryStatus{store.DeliverySent, store.DeliveryFailed, store.DeliverySending} {
		var after int64
		for {
			rows, err := n.st.Deliveries(ctx, issue, status, false, after, 1000)
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				break
			}
			for _, d := range rows {
				done[d.SubscriberID] = true
				after = d.SubscriberID
			}
			if status == store.DeliverySent {
				sum.AlreadySent += len(rows)
			}
		}
	}
	var after int64
	for {
		subs, err := n.st.Subscribers(ctx, store.StatusConfirmed, after, 1000)
		if err != nil {
			return err
		}
		if len(subs) == 0 {
			return nil
		}
		for _, s := range subs {
			after = s.ID
			if done[s.ID] {
				continue
			}
			msg, err := n.personalMsg(r, s.Email, s.Name, n.newMessageID("dryrun"))
			if err == nil {
				_, err = msg.WriteTo(discard{})
			}
			if err != nil {
				sum.Failed++
				n.log.Warn("cannot render message", "email", s.Email, "err", err)
				continue
			}
			sum.Total++
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// sendTest sends one [TEST] copy of the issue to addr, outside the ledger.
func (n *Newsletter) sendTest(ctx context.Context, is store.Issue, to string) error {
	addr, err := ParseAddress(to)
	if err != nil {
		return err
	}
	r, err := n.renderIssue(is, true)
	if err != nil {
		return err
	}
	msg, err := n.personalMsg(r, addr.Address, addr.Name, n.newMessageID(fmt.Sprintf("test.%d", is.Number)))
	if err != nil {
		return err
	}
	name := fmt.Sprintf("test-issue-%04d-%d-%s.eml", is.Number, time.Now().UnixNano(), safeFileText(addr.Address))
	return n.deliverOne(ctx, msg, addr.Address, name)
}

// deliverOne sends a single message outside the ledger, retrying temporary
// failures like a send does.
func (n *Newsletter) deliverOne(ctx context.Context, msg *gomail.Msg, rcpt, outboxFile string) error {
	var client *gomail.Client
	if n.opts.SMTP.Host != "" {
		var err error
		if client, err = n.newSMTPClient(); err != nil {
			return err
		}
	}
	c := n.newConn(client, func(string) string { return outboxFile })
	defer c.close()
	for attempt := 0; ; attempt++ {
		err := c.deliver(ctx, msg, rcpt, func() error { return nil })
		var se *sendError
		if err == nil || !errors.As(err, &se) || !se.temp || attempt >= n.opts.Retries {
			if err != nil {
				return fmt.Errorf("send to %s: %w", rcpt, err)
			}
			return nil
		}
		if !sleep(ctx, backoff(n.opts.RetryBackoff, attempt)) {
			return ctx.Err()
		}
	}
}
