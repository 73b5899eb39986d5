package schedule

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
// Scheduler.Run). A second signal runs atExit, for at most two seconds, and
// exits with status 1 at once; pass Scheduler.Interrupt there so that the
// store records the runs cut short. cancel stops listening.
//
// The caller exits with status 0 once Run returned after the first signal.
func SignalContext(parent context.Context, log *slog.Logger, atExit ...func(context.Context)) (ctx context.Context, cancel context.CancelFunc) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancelCtx := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	stopped := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			log.Info("stopping: finishing running jobs; signal again to exit at once", "signal", sig.String())
			cancelCtx()
		case <-stopped:
			return
		}
		select {
		case sig := <-sigs:
			log.Warn("exiting at once", "signal", sig.String())
			hctx, hcancel := context.WithTimeout(context.Background(), 2*time.Second)
			for _, fn := range atExit {
				fn(hctx)
			}
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
