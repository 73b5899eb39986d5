package shutdown

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// exit ends the process; tests replace it.
var exit = os.Exit

// SignalContext returns a context that the first SIGINT or SIGTERM
// cancels: the signal to stop taking work and let running jobs finish (see
// WithGrace). A second signal runs the exit hooks, for at most two seconds,
// and exits with status 1 at once. The hooks are atExit and those
// registered through the context with OnHardExit: the scheduler registers
// its record of the runs cut short that way. cancel stops listening.
//
// A nil log means slog.Default() as it is when the signal comes. The caller
// exits with status 0 once Run returned after the first signal.
func SignalContext(parent context.Context, log *slog.Logger, atExit ...func(context.Context)) (ctx context.Context, cancel context.CancelFunc) {
	logger := func() *slog.Logger {
		if log != nil {
			return log
		}
		// Looked up when a signal comes: by then the program may have
		// set the default to the logger its config asks for.
		return slog.Default()
	}
	hooks := &exitHooks{fns: map[int]func(context.Context){}}
	for _, fn := range atExit {
		hooks.add(fn)
	}
	ctx, cancelCtx := context.WithCancel(context.WithValue(parent, exitHooksKey{}, hooks))
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	stopped := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			logger().Info("stopping: finishing running jobs; signal again to exit at once", "signal", sig.String())
			cancelCtx()
		case <-stopped:
			return
		}
		select {
		case sig := <-sigs:
			logger().Warn("exiting at once", "signal", sig.String())
			hctx, hcancel := context.WithTimeout(context.Background(), 2*time.Second)
			hooks.run(hctx)
			hcancel()
			exit(1)
		case <-stopped:
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(stopped)
			cancelCtx()
		})
	}
}

type exitHooksKey struct{}

// exitHooks are what runs before a second signal ends the process.
type exitHooks struct {
	mu   sync.Mutex
	next int
	fns  map[int]func(context.Context)
}

func (h *exitHooks) add(fn func(context.Context)) (remove func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id := h.next
	h.next++
	h.fns[id] = fn
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.fns, id)
	}
}

func (h *exitHooks) run(ctx context.Context) {
	h.mu.Lock()
	fns := make([]func(context.Context), 0, len(h.fns))
	for _, fn := range h.fns {
		fns = append(fns, fn)
	}
	h.mu.Unlock()
	for _, fn := range fns {
		fn(ctx)
	}
}

// OnHardExit registers fn to run if ctx comes from SignalContext and a
// second signal arrives; remove unregisters it. With any other ctx it does
// nothing.
func OnHardExit(ctx context.Context, fn func(context.Context)) (remove func()) {
	if h, ok := ctx.Value(exitHooksKey{}).(*exitHooks); ok {
		return h.add(fn)
	}
	return func() {}
}
