package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestChunksAreHeldByOneSenderEach takes chunks as two senders on their own
// stores would: a chunk held by one is skipped by the other, a chunk whose
// holder's connection ends is taken up at once, a released chunk with no
// pending row is done, and a resend cannot hold the ledger while a chunk is
// held.
func TestChunksAreHeldByOneSenderEach(t *testing.T) {
	db := testDB{"postgres"}
	ctx := context.Background()
	a, ids, _ := planned(t, db, 3*sendChunkSize)
	b := db.openURL(t, a.target)
	if !a.SharesSends() {
		t.Fatal("PostgreSQL does not share sends")
	}

	c1, err := a.TakeChunk(ctx, 1, -1, nil)
	if err != nil || c1 == nil {
		t.Fatalf("take: %v, %v", c1, err)
	}
	if c1.First > ids[0] || c1.End <= ids[0] {
		t.Errorf("first chunk [%d, %d) lacks the first subscriber %d", c1.First, c1.End, ids[0])
	}
	// From the start again: b skips a's chunk.
	c2, err := b.TakeChunk(ctx, 1, -1, nil)
	if err != nil || c2 == nil || c2.Number == c1.Number {
		t.Fatalf("second sender took %+v, %v; want another chunk than %d", c2, err, c1.Number)
	}
	if _, err := b.HoldAllChunks(ctx, 1); !errors.Is(err, ErrLocked) {
		t.Errorf("hold all while chunks are held: %v, want ErrLocked", err)
	}

	// a sends its chunk's rows, then lets go: done.
	var sent []int64
	for _, id := range ids {
		if id >= c1.First && id < c1.End {
			sent = append(sent, id)
		}
	}
	l, err := a.Ledger(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	claims := make([]Claim, len(sent))
	for i, id := range sent {
		claims[i] = Claim{SubscriberID: id, From: DeliveryPending}
	}
	if err := l.Commit(ctx, claims, nil); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(ctx, nil, sent); err != nil {
		t.Fatal(err)
	}
	if pending, err := c1.Release(ctx); err != nil || pending != 0 {
		t.Fatalf("release: %d pending, %v; want 0", pending, err)
	}
	// b's chunk ends with its connection (a sender that died): taken up at
	// once; a's done chunk never again.
	c2.tx.Rollback()
	seen := map[int64]bool{}
	for after := int64(-1); ; {
		c, err := a.TakeChunk(ctx, 1, after, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c == nil {
			break
		}
		seen[c.Number] = true
		after = c.Number
		defer c.tx.Rollback()
	}
	if seen[c1.Number] || !seen[c2.Number] {
		t.Errorf("after the release and the end of the other hold, chunks taken: %v; want %d and not %d", seen, c2.Number, c1.Number)
	}
	if n, err := a.PendingDeliveries(ctx, 1); err != nil || n != len(ids)-len(sent) {
		t.Errorf("pending: %d, %v; want %d", n, err, len(ids)-len(sent))
	}
}

// TestSendTimeIsHandedOutOnce reserves spans of one rate from two stores:
// they never overlap, and a span is never taken in the past.
func TestSendTimeIsHandedOutOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		a := db.open(t)
		b := db.openURL(t, a.target)
		const span = 10 * time.Millisecond
		start := time.Now()
		var ends []time.Duration
		for i := range 6 {
			st := a
			if i%2 == 1 {
				st = b
			}
			before := time.Since(start)
			wait, err := st.ReserveSendTime(ctx, "test", span)
			after := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			if wait < -time.Millisecond {
				t.Errorf("span %d starts %s ago", i, -wait)
			}
			// The wait counts from a moment during the call: the span
			// starts at the latest at after+wait, and ends at the earliest
			// at before+wait+span.
			for _, e := range ends {
				if after+wait < e-time.Millisecond {
					t.Errorf("span %d starts by %s, before the end of an earlier one at %s", i, after+wait, e)
				}
			}
			ends = append(ends, before+wait+span)
		}
		if last := ends[len(ends)-1]; last < 6*span {
			t.Errorf("six spans of %s end at %s", span, last)
		}
	})
}
