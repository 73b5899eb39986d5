package newsletter

import (
	"context"
	"errors"
	"fmt"
	"time"

	gomail "github.com/wneessen/go-mail"
	"golang.org/x/time/rate"

	"github.com/bulletin-app/bulletin/internal/shutdown"
	"github.com/bulletin-app/bulletin/store"
)

// ErrNotReleased is wrapped by the error of a send of an issue that is
// still a draft or scheduled: it is mailed to nobody until it is approved
// (a dry run and a test copy are allowed). It wraps store.ErrWrongState.
var ErrNotReleased = fmt.Errorf("not approved for sending: %w", store.ErrWrongState)

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
	// ResendUnconfirmed sends again the rows left unconfirmed ("sending")
	// by an earlier run: the connection broke, or the process died, after
	// the message was handed over and before the server's reply. The server
	// has most likely accepted them, so this may deliver second copies: it
	// is for an operator who chose to, after looking (see Summary and
	// bulletin status).
	ResendUnconfirmed bool
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
	// NewUnconfirmed counts those of Unconfirmed that this run left so.
	NewUnconfirmed int
	// Remaining counts the rows still pending when the send stopped; of a
	// shared send, those this process left pending.
	Remaining int
	// Shared is true of a send that other processes may share (see
	// docs/delivery.md); Others counts the rows pending in the parts of
	// the ledger they held when it ended.
	Shared      bool
	Others      int
	PauseReason string
	DryRun      bool
	Test        bool
	Duration    time.Duration

	commits int // ledger transactions, for the benchmarks
}

// Undelivered counts the messages the send meant to deliver and did not:
// failed, still pending (after their retries, or a pause), or left
// unconfirmed by this run. A caller that must tell an operator (an exit
// status) looks at it.
func (s Summary) Undelivered() int {
	if s.DryRun || s.Test {
		return s.Failed
	}
	return s.Failed + s.Remaining + s.NewUnconfirmed
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
	if s.Others > 0 {
		out += fmt.Sprintf("; %d pending with other senders", s.Others)
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
	if !req.DryRun && req.To == "" && !is.State.Released() {
		return Summary{}, fmt.Errorf("send issue %d: it is %s, %w", is.Number, is.State, ErrNotReleased)
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

	if n.st.SharesSends() && !req.ResendFailed && !req.ResendUnconfirmed {
		// Any number of processes may send the issue at once: no lease.
		err := n.deliverShared(ctx, is.Number, r, req, &sum)
		sum.Duration = time.Since(start)
		return sum, err
	}
	ctx, cancel, release, err := n.takeSendLock(ctx, is.Number, req.Holder)
	if err != nil {
		return sum, fmt.Errorf("send issue %d: %w", is.Number, err)
	}
	defer release()

	err = n.deliverIssue(ctx, cancel, is.Number, r, req, &sum)
	sum.Duration = time.Since(start)
	if counts, cerr := n.st.DeliveryCounts(context.WithoutCancel(ctx), is.Number); cerr == nil {
		sum.Remaining = counts[store.DeliveryPending]
	}
	return sum, err
}

// mailing is what one send delivers: an issue, or a weekly digest (a
// number below zero) with the issues it covers.
type mailing struct {
	store.Issue
	covered []store.Issue // a weekly digest's issues, oldest first
}

func (n *Newsletter) loadIssue(ctx context.Context, number int) (mailing, error) {
	var is store.Issue
	var err error
	switch {
	case number == 0:
		is, err = n.st.LatestIssue(ctx)
	case number < 0:
		return n.loadWeekly(ctx, number)
	default:
		is, err = n.st.Issue(ctx, number)
	}
	return mailing{Issue: is}, err
}

// deliverIssue settles the rows an earlier run left in "sending", plans a
// row for every confirmed subscriber without one, and has the pool send
// them.
func (n *Newsletter) deliverIssue(ctx context.Context, cancel context.CancelCauseFunc, issue int, r *rendered, req SendRequest, sum *Summary) error {
	// Where sends are shared (only resends come here), shared senders
	// must have no row in flight.
	unhold, err := n.st.HoldAllChunks(ctx, issue)
	if err != nil {
		return err
	}
	defer unhold()
	from := store.DeliveryPending
	switch {
	case req.ResendUnconfirmed:
		// Under the send lock, no other sender has a row in flight: every
		// row in "sending" was left so by one that ended.
		from = store.DeliverySending
		n.log.Warn("sending again the deliveries left unconfirmed; their subscribers may get a second copy", "issue", issue)
	case req.ResendFailed:
		if err := n.recoverSending(ctx, issue, sum); err != nil {
			return err
		}
		from = store.DeliveryFailed
	default:
		if err := n.recoverSending(ctx, issue, sum); err != nil {
			return err
		}
		if _, err := n.st.PlanDeliveries(ctx, issue, n.msgDomain); err != nil {
			return err
		}
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
	ledger, err := n.st.Ledger(ctx, issue)
	if err != nil {
		return err
	}
	lw := newLedgerWriter(ledger, n.opts.Concurrency, cancel)
	p := &pool{n: n, issue: issue, r: r, from: from, limiter: n.sendLimiter(), cancel: cancel, sum: sum, progress: req.Progress, lw: lw}

	ferr := p.run(ctx, client, p.feedLedger)
	return n.endSend(ctx, issue, p, ferr)
}

// sendLimiter is what keeps a send to n.opts.Rate, or nil for no cap.
func (n *Newsletter) sendLimiter() waiter {
	switch {
	case n.opts.Rate <= 0:
		return nil
	case n.st.SharesSends():
		return newSharedRate(n.st, n.opts.Rate, n.opts.Concurrency)
	}
	// A burst of one: the cap holds over any interval, not on average.
	return rate.NewLimiter(rate.Limit(n.opts.Rate), 1)
}

// endSend commits the last marks and tells why the send ended.
func (n *Newsletter) endSend(ctx context.Context, issue int, p *pool, ferr error) error {
	lw, sum := p.lw, p.sum
	// Every "sent" mark is committed before the send returns.
	if err := lw.close(); err != nil && ferr == nil {
		ferr = err
	}
	n.log.Debug("ledger written", "issue", issue, "commits", lw.commits, "sent", sum.Sent)
	sum.commits = lw.commits
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
