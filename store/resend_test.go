package store

import (
	"context"
	"errors"
	"testing"
)

// TestResendHoldKeepsOutChunksPlannedAfterIt: a resend holds every chunk
// of the issue (HoldAllChunks); another process then plans a subscriber
// who confirmed since into a chunk that did not exist when the hold began.
// No sender may take that chunk while the resend runs: the resend sends
// again the rows it finds in "sending", and a row a sender had claimed in
// that chunk would be one of them, mailed twice. The hold only locked the
// chunks' rows that existed; the chunk planned after it was taken.
func TestResendHoldKeepsOutChunksPlannedAfterIt(t *testing.T) {
	db := testDB{"postgres"}
	ctx := context.Background()
	resend, _, _ := planned(t, db, 10)
	other := db.openURL(t, resend.target)

	release, err := resend.HoldAllChunks(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	// A subscriber far above the planned ones, in a chunk of their own
	// whatever the chunks' width.
	if _, err := other.db.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('subscribers', 'id'), 1000)`); err != nil {
		t.Fatal(err)
	}
	late, _, err := other.AddSubscriber(ctx, "late@example.com", "", StatusConfirmed)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := other.PlanDeliveries(ctx, 1, "example.com"); err != nil || n != 1 {
		t.Fatalf("plan the late subscriber: %d rows, %v; want 1", n, err)
	}
	c, err := other.TakeChunk(ctx, 1, -1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c != nil {
		c.Abort()
		t.Fatalf("while a resend holds the ledger, another sender took chunk [%d, %d) (subscriber %d): its rows in flight would be sent again by the resend",
			c.First, c.End, late.ID)
	}
	if _, err := other.HoldAllChunks(ctx, 1); !errors.Is(err, ErrLocked) {
		t.Errorf("a second resend while one runs: %v; want ErrLocked", err)
	}

	// Once the resend lets go, the chunks are there to take again.
	release()
	c, err = other.TakeChunk(ctx, 1, -1, nil)
	if err != nil || c == nil {
		t.Fatalf("after the resend: took %v, %v; want a chunk", c, err)
	}
	c.Abort()
}
