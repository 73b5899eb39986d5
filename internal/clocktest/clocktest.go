// Package clocktest is a simulated clock for tests of the scheduler and of
// what runs on it: time stands still while jobs run, and jumps to each
// time the scheduler waits for once they have.
package clocktest

import (
	"context"
	"sync"
	"time"
)

// Sim jumps to each wake-up time at once, after the work started so far has
// settled, and stops the scheduler when asked to wait past its end. The
// zero value stands at the zero time with no end set: Set and SetEnd it.
type Sim struct {
	mu     sync.Mutex
	now    time.Time
	end    time.Time
	settle func()
}

// New returns a clock at now that stops the scheduler after end.
func New(now, end time.Time) *Sim { return &Sim{now: now, end: end} }

// Now is the simulated time.
func (c *Sim) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Sim) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// SetEnd makes a wait past t stop the scheduler.
func (c *Sim) SetEnd(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.end = t
}

// SetSettle gives the clock what to wait for before each jump (the
// scheduler's running jobs): nil jumps at once.
func (c *Sim) SetSettle(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settle = f
}

// SleepUntil waits for the running work to settle, then jumps to t and
// reports true; it reports false, without moving, when ctx is done, t is
// zero or t is past the end.
func (c *Sim) SleepUntil(ctx context.Context, t time.Time) bool {
	c.mu.Lock()
	settle, end := c.settle, c.end
	c.mu.Unlock()
	if settle != nil {
		settle()
	}
	if ctx.Err() != nil || t.IsZero() || t.After(end) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
	return true
}
