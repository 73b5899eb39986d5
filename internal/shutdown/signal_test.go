package shutdown

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestSignalsStopThenExit sends this process real SIGTERMs: the first ends
// the context, the second runs the hooks still registered and exits 1.
func TestSignalsStopThenExit(t *testing.T) {
	exited := make(chan int, 1)
	realExit := exit
	exit = func(code int) { exited <- code }
	t.Cleanup(func() { exit = realExit })

	var mu sync.Mutex
	var ran []string
	hook := func(name string) func(context.Context) {
		return func(context.Context) {
			mu.Lock()
			defer mu.Unlock()
			ran = append(ran, name)
		}
	}
	ctx, cancel := SignalContext(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), hook("atExit"))
	defer cancel()
	// As a scheduler does: registered through the context, further down.
	defer OnHardExit(context.WithoutCancel(ctx), hook("registered"))()
	OnHardExit(ctx, hook("removed"))()
	if remove := OnHardExit(context.Background(), hook("elsewhere")); remove == nil {
		t.Fatal("OnHardExit without SignalContext returned no remove func")
	}

	signal := func() {
		t.Helper()
		if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	}
	signal()
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the first signal did not end the context")
	}
	select {
	case code := <-exited:
		t.Fatalf("exited with %d after one signal; want only a stop", code)
	default:
	}

	signal()
	select {
	case code := <-exited:
		if code != 1 {
			t.Errorf("exit status %d; want 1", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the second signal did not exit")
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(ran)
	if want := []string{"atExit", "registered"}; !slices.Equal(ran, want) {
		t.Errorf("hooks run: %q; want %q", ran, want)
	}
}
