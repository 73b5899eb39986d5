package newsletter

import (
	"context"
	"fmt"
	"os"
)

// takeSendLock takes the lock that lets one process at a time send issue,
// for holder (empty: this host and process), and renews it until release is
// called. Losing the lock cancels the returned context with the reason.
func (n *Newsletter) takeSendLock(ctx context.Context, issue int, holder string) (context.Context, context.CancelCauseFunc, func(), error) {
	if holder == "" {
		holder = holderName()
	}
	lock := fmt.Sprintf("newsletter:send:%d", issue)
	if err := n.st.Lock(ctx, lock, holder, n.opts.LockTTL); err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	renewing := make(chan struct{})
	go func() {
		defer close(renewing)
		n.keepLock(ctx, cancel, lock, holder)
	}()
	// The renewal must have ended before the unlock: one landing after it
	// would take the lock again, and block the next send for a lease.
	release := func() {
		cancel(nil)
		<-renewing
		n.st.Unlock(context.WithoutCancel(ctx), lock, holder)
	}
	return ctx, cancel, release, nil
}

// holderName tells this process apart from others on the same database,
// also after a restart with the same pid.
func holderName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), randomToken(4))
}

// keepLock renews the send lock until ctx ends; losing it stops the send,
// since another process may then take over.
func (n *Newsletter) keepLock(ctx context.Context, cancel context.CancelCauseFunc, lock, holder string) {
	if err := n.st.KeepLock(ctx, lock, holder, n.opts.LockTTL); err != nil {
		cancel(fmt.Errorf("lost the send lock: %w", err))
	}
}

// SendLease is issue's send lock, taken before its send starts: a caller
// that must do something first (release the issue, publish it) takes it,
// so that no other sender starts the same send meanwhile, and hands it to
// Send through SendRequest.Holder.
type SendLease struct {
	Holder  string
	release func()
}

// LeaseSend takes issue's send lock for a holder of its own and renews it
// until Release. If another sender holds it, the error wraps
// store.ErrLocked.
func (n *Newsletter) LeaseSend(ctx context.Context, issue int) (*SendLease, error) {
	holder := holderName()
	_, _, release, err := n.takeSendLock(ctx, issue, holder)
	if err != nil {
		return nil, fmt.Errorf("send issue %d: %w", issue, err)
	}
	return &SendLease{Holder: holder, release: release}, nil
}

// Release stops renewing the lease and frees the lock, if it still holds
// it: after a Send with its holder, which frees it itself, it is nothing.
func (l *SendLease) Release() { l.release() }
