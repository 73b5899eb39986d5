package shutdown

import (
	"context"
	"testing"
	"time"
)

func TestWithGraceStopsFirstAndEndsLater(t *testing.T) {
	parent, stop := context.WithCancel(context.Background())
	ctx, cancel := WithGrace(parent, 50*time.Millisecond)
	defer cancel()
	child, cancelChild := context.WithCancel(ctx) // a layer below sees it too
	defer cancelChild()
	if Requested(child) {
		t.Fatal("stop requested before the parent ended")
	}
	stop()
	if !Requested(child) {
		t.Error("parent ended: a stop must be requested at once")
	}
	if ctx.Err() != nil {
		t.Error("the context ended with its parent; want it to outlive it by the grace period")
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("still running long after the grace period")
	}
}

func TestWithoutStopValueTheContextDecides(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	if Requested(ctx) {
		t.Fatal("requested on a live context")
	}
	cancel()
	if !Requested(ctx) {
		t.Error("an ended context must count as a stop")
	}
}
