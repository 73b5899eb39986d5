// Package shutdown turns signals into stops, and tells long work that a
// stop was asked for. A stop comes in two steps: first nothing new may
// start while what is in flight finishes (a send in progress delivers the
// message it holds), then, when a grace period is over, the context itself
// ends. The first step travels as a value of the context, so that every
// layer below a job can see it without a second context in each signature.
// A second signal exits at once, after the hooks registered with
// OnHardExit.
package shutdown

import (
	"context"
	"errors"
	"time"
)

// ErrStopped is returned by work that a stop cut short: what it did is
// kept, and the rest waits for the next run.
var ErrStopped = errors.New("stopped before the end; the rest waits for the next run")

type key struct{}

// WithStop returns ctx carrying stop: once stop is closed, Requested is
// true for the returned context and the ones made from it.
func WithStop(ctx context.Context, stop <-chan struct{}) context.Context {
	return context.WithValue(ctx, key{}, stop)
}

// WithGrace returns a context that ends grace after parent does, and that
// carries parent's end as its stop: work sees the stop at once and has
// grace to finish.
func WithGrace(parent context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	stop := context.AfterFunc(parent, func() {
		t := time.AfterFunc(grace, cancel)
		context.AfterFunc(ctx, func() { t.Stop() })
	})
	return WithStop(ctx, parent.Done()), func() { stop(); cancel() }
}

// Done returns a channel closed when a stop is asked for, or nil (never
// ready) when ctx carries none. A context that ends counts as a stop too.
func Done(ctx context.Context) <-chan struct{} {
	if stop, ok := ctx.Value(key{}).(<-chan struct{}); ok {
		return stop
	}
	return ctx.Done()
}

// Requested reports whether new work should not start.
func Requested(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	select {
	case <-Done(ctx):
		return true
	default:
		return false
	}
}
