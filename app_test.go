package bulletin

import (
	"context"
	"testing"
	"time"
)

func TestGracefulOutlivesItsParentByGrace(t *testing.T) {
	parent, stop := context.WithCancel(context.Background())
	ctx, cancel := Graceful(parent, 50*time.Millisecond)
	defer cancel()
	stop()
	if ctx.Err() != nil {
		t.Fatal("ended with its parent; want it to outlive it by the grace period")
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("still running long after the grace period")
	}
}
