package newsletter

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/bulletin-app/bulletin/store"
)

// SignupOptions bound the confirmation emails sent for sign-ups from the
// web form: however many visitors sign up at once, at most Concurrency
// confirmations are being sent (each on its own SMTP connection), and at
// most Rate a second start.
type SignupOptions struct {
	// Concurrency is how many confirmations are sent at once; 0: 2.
	Concurrency int
	// Rate caps confirmations started per second; 0: 2.
	Rate float64
	// MaxQueued bounds the sign-ups waiting; past it, QueueSignup returns
	// ErrQueueFull. 0: 1000.
	MaxQueued int
}

func (o SignupOptions) withDefaults() SignupOptions {
	if o.Concurrency <= 0 {
		o.Concurrency = 2
	}
	if o.Rate <= 0 {
		o.Rate = 2
	}
	if o.MaxQueued <= 0 {
		o.MaxQueued = 1000
	}
	return o
}

// ErrQueueFull is returned by QueueSignup when MaxQueued sign-ups wait
// already: the visitor should try again later.
var ErrQueueFull = errors.New("too many sign-ups waiting for their confirmation; try again later")

// Sign-up attempts: a confirmation that could not be sent (the mail
// server is down, say) is tried again after signupRetry, four times that,
// and so on, signupAttempts times in all; a claim on a sign-up lasts
// signupLease, after which a worker that died is taken to have.
const (
	signupAttempts = 4
	signupRetry    = time.Minute
	signupLease    = 10 * time.Minute
	signupPoll     = 5 * time.Second
)

// QueueSignup records a sign-up from the web form and returns at once;
// RunSignups sends its confirmation (as Subscribe does) in the background.
// The work, and so the time taken, is the same whether the address is
// new, pending, confirmed or unknown to the list. The queue is in the
// store: a sign-up waits there across restarts until its confirmation
// went out.
func (n *Newsletter) QueueSignup(ctx context.Context, address, name string) error {
	a, err := ParseAddress(address)
	if err != nil {
		return err
	}
	queued, err := n.st.QueueSignup(ctx, a.Address, cleanName(name), n.opts.Signups.MaxQueued)
	if err != nil {
		return err
	}
	if !queued {
		return ErrQueueFull
	}
	n.wakeSignups()
	return nil
}

// wakeSignups tells RunSignups that the queue has something new.
func (n *Newsletter) wakeSignups() {
	select {
	case n.signupWake <- struct{}{}:
	default:
	}
}

// RunSignups sends the confirmations of queued sign-ups, within the
// bounds of Options.Signups, until ctx ends; then it waits for those being
// sent and hands back the ones it had not started. Sign-ups queued by
// another process on the same database are sent too. Call it once per
// process.
func (n *Newsletter) RunSignups(ctx context.Context) error {
	o := n.opts.Signups
	holder := "signups:" + holderName()
	lim := rate.NewLimiter(rate.Limit(o.Rate), 1)
	slots := make(chan struct{}, o.Concurrency)
	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		if err := n.st.ReleaseSignups(context.WithoutCancel(ctx), holder); err != nil {
			n.log.Warn("cannot hand back the sign-ups not sent", "error", err)
		}
	}()
	poll := time.NewTicker(signupPoll)
	defer poll.Stop()
	for {
		// One slot, one start within the rate, then one sign-up: claiming
		// no more than can start keeps the rest free for other processes.
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		if err := lim.Wait(ctx); err != nil {
			<-slots
			return nil
		}
		got, err := n.st.ClaimSignups(ctx, holder, 1, signupLease)
		if err != nil && ctx.Err() == nil {
			n.log.Error("cannot read the sign-up queue", "error", err)
		}
		if len(got) == 0 {
			<-slots
			select {
			case <-ctx.Done():
				return nil
			case <-n.signupWake:
			case <-poll.C:
			}
			continue
		}
		su := got[0]
		wg.Go(func() {
			defer func() { <-slots }()
			n.confirmSignup(context.WithoutCancel(ctx), holder, su)
		})
	}
}

// confirmSignup does what Subscribe does for one queued sign-up (or sends
// the welcome of one confirmed), and takes it off the queue, or leaves it
// for a later attempt.
func (n *Newsletter) confirmSignup(ctx context.Context, holder string, su store.Signup) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	id, email, attempts := su.ID, su.Email, su.Attempts
	var result string
	var err error
	if su.Kind == store.SignupWelcome {
		result, err = n.sendWelcome(ctx, email)
	} else {
		var res Subscribed
		res, err = n.subscribe(ctx, email, su.Name, attempts > 0)
		result = res.String()
	}
	log := n.log.With("subscriber", email, "kind", su.Kind)
	switch {
	case err == nil:
		log.Debug("sign-up handled", "result", result)
	case errors.Is(err, ErrInvalidAddress) || attempts+1 >= signupAttempts:
		log.Error("sign-up given up: no confirmation sent", "attempts", attempts+1, "error", err)
	default:
		next := time.Now().Add(signupRetry << (2 * attempts))
		log.Warn("confirmation not sent; trying again later", "attempt", attempts+1, "next", next, "error", err)
		if err := n.st.RetrySignup(context.WithoutCancel(ctx), id, holder, next); err != nil {
			log.Error("cannot put the sign-up back in the queue", "error", err)
		}
		return
	}
	if err := n.st.SignupDone(context.WithoutCancel(ctx), id, holder); err != nil {
		log.Error("cannot take the sign-up off the queue", "error", err)
	}
}

func (s Subscribed) String() string {
	switch s {
	case ConfirmationSent:
		return "confirmation sent"
	case AlreadyConfirmed:
		return "already confirmed"
	case ConfirmationRecent:
		return "confirmation sent recently"
	case NotSubscribable:
		return "not subscribable"
	}
	return fmt.Sprintf("Subscribed(%d)", int(s))
}
