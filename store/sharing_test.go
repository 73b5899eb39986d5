package store

import (
	"context"
	"errors"
	"fmt"
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
		var lastEnd time.Duration
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
			lastEnd = after + wait + span
		}
		// Taken one after another, the six spans reach from the first's
		// start (at the earliest ends[0]-span) to the last's end (at the
		// latest after+wait+span): at least six spans apart.
		if got := lastEnd - (ends[0] - span); got < 6*span-time.Millisecond {
			t.Errorf("six spans of %s reach over %s at most", span, got)
		}
	})
}

// TestChunksFitTheList plans a small list and a large one: the small one
// is cut into chunks enough for several senders, the large one into
// chunks of the full width, and the chunks' rows are every row of the
// ledger once each, within its chunk. Subscribers who join before the
// issue is planned again get chunks of the width it has.
func TestChunksFitTheList(t *testing.T) {
	db := testDB{"postgres"}
	ctx := context.Background()
	for _, n := range []int{100, 10000} {
		st := db.open(t)
		if _, err := st.CreateIssue(ctx, func(n int) string { return fmt.Sprint("Issue ", n) }, nil); err != nil {
			t.Fatal(err)
		}
		importConfirmed(t, st, 0, n)
		if _, err := st.PlanDeliveries(ctx, 1, "example.com"); err != nil {
			t.Fatal(err)
		}
		// A planning of many rows brings the ledger's statistics up to
		// date, so that the chunks' statements are planned for the rows
		// there are (deliveries-analyze).
		var analyzed bool
		if err := st.db.QueryRowContext(ctx, `SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'deliveries'`).Scan(&analyzed); err != nil {
			t.Fatal(err)
		}
		if want := n >= analyzeAfter; analyzed != want {
			t.Errorf("%d rows planned: ledger analyzed %v, want %v", n, analyzed, want)
		}
		chunks, width := checkChunks(t, st, n)
		switch {
		case n == 100 && len(chunks) < 4:
			t.Errorf("%d subscribers: %d chunks of %d; want enough for 4 senders", n, len(chunks), width)
		case n == 10000 && width != sendChunkSize:
			t.Errorf("%d subscribers: chunks of %d, want %d", n, width, sendChunkSize)
		}
		if n != 100 {
			continue
		}
		importConfirmed(t, st, n, 4*n)
		if _, err := st.PlanDeliveries(ctx, 1, "example.com"); err != nil {
			t.Fatal(err)
		}
		if _, w := checkChunks(t, st, 4*n); w != width {
			t.Errorf("planned again after subscribers joined: chunks of %d, want %d as before", w, width)
		}

		// A chunk's rows are those still to settle: a row in "sending" is
		// among them, a sent one is not.
		c := chunks[1]
		l, err := st.Ledger(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		claims := []Claim{{SubscriberID: c.First, From: DeliveryPending}, {SubscriberID: c.First + 1, From: DeliveryPending}}
		if err := l.Commit(ctx, claims, nil); err != nil {
			t.Fatal(err)
		}
		if err := l.Commit(ctx, nil, []int64{c.First + 1}); err != nil {
			t.Fatal(err)
		}
		taken, err := st.TakeChunk(ctx, 1, c.Number-1, nil)
		if err != nil || taken == nil || taken.Number != c.Number {
			t.Fatalf("take chunk %d again: %+v, %v", c.Number, taken, err)
		}
		rows, err := taken.Rows(ctx)
		taken.Abort()
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]DeliveryStatus{}
		for _, d := range rows {
			got[d.SubscriberID] = d.Status
		}
		if got[c.First] != DeliverySending || got[c.First+1] != "" || len(got) != int(c.End-c.First)-1 {
			t.Errorf("rows of chunk [%d, %d) after a claim and a mark: %v", c.First, c.End, got)
		}
	}
}

// importConfirmed adds confirmed subscribers from to to-1 (by the number
// in their addresses); their ids follow one another.
func importConfirmed(t *testing.T, st *Store, from, to int) {
	t.Helper()
	var subs []NewSubscriber
	for i := from; i < to; i++ {
		subs = append(subs, NewSubscriber{Email: fmt.Sprintf("r%d@example.com", i), Status: StatusConfirmed})
	}
	if added, _, err := st.ImportSubscribers(context.Background(), subs); err != nil || added != len(subs) {
		t.Fatalf("import: %d added, %v", added, err)
	}
}

// checkChunks takes every chunk of issue 1 in turn and checks that they
// have one width, within bounds, and that their rows are the n pending
// rows of the ledger, each once and within its chunk. It returns the
// chunks (let go of) and their width.
func checkChunks(t *testing.T, st *Store, n int) ([]*Chunk, int64) {
	t.Helper()
	ctx := context.Background()
	var chunks []*Chunk
	seen := map[int64]bool{}
	for after := int64(-1); ; {
		c, err := st.TakeChunk(ctx, 1, after, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c == nil {
			break
		}
		after = c.Number
		rows, err := c.Rows(ctx)
		c.Abort()
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range rows {
			if d.SubscriberID < c.First || d.SubscriberID >= c.End || seen[d.SubscriberID] || d.Status != DeliveryPending {
				t.Errorf("chunk [%d, %d): row %d (%s), seen before: %v", c.First, c.End, d.SubscriberID, d.Status, seen[d.SubscriberID])
			}
			seen[d.SubscriberID] = true
		}
		chunks = append(chunks, c)
	}
	if len(chunks) == 0 {
		t.Fatal("no chunk to take")
	}
	width := chunks[0].End - chunks[0].First
	for _, c := range chunks {
		if w := c.End - c.First; w != width || w < minSendChunkSize || w > sendChunkSize {
			t.Errorf("chunk %d is %d wide; first %d, bounds %d to %d", c.Number, w, width, minSendChunkSize, sendChunkSize)
		}
	}
	if len(seen) != n {
		t.Errorf("the chunks hold %d rows, want %d", len(seen), n)
	}
	return chunks, width
}
