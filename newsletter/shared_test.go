package newsletter

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/smtptest"
	"github.com/bulletin-app/bulletin/internal/storetest/testdb"
	"github.com/bulletin-app/bulletin/store"
)

// TestSharedSendKeepsOneRate sends one issue from three senders on their
// own stores of one PostgreSQL database, as three processes would, with a
// rate: each delivers part, nobody gets two copies, and the server never
// sees more messages in a second than the rate allows, though three
// senders each pace themselves.
func TestSharedSendKeepsOneRate(t *testing.T) {
	const subscribers, perSecond = 400, 120.0
	srv := sharedSend(t, 3, subscribers, perSecond)
	// A message starts no earlier than its moment, 1/rate after the one
	// before, whichever sender took it; the server accepts it a little
	// after, later by as much as the machine is busy. So a second holds
	// the messages of the moments of a second and a little more: allow a
	// tenth of a second of such lateness, and the messages at either edge.
	at := srv.AcceptedAt()
	worst := 0
	for i := range at {
		n := 0
		for j := i; j < len(at) && at[j].Sub(at[i]) < time.Second; j++ {
			n++
		}
		worst = max(worst, n)
	}
	if limit := int(perSecond*1.1) + 2; worst > limit {
		t.Errorf("%d messages within one second from three senders; the rate is %v a second (allowed: %d)", worst, perSecond, limit)
	}
	if span := at[len(at)-1].Sub(at[0]); span < time.Duration((subscribers-3)*int(time.Second/time.Millisecond)/int(perSecond))*time.Millisecond {
		t.Errorf("%d messages in %s: faster than %v a second", len(at), span, perSecond)
	}
	t.Logf("at most %d messages in a second; %d in %s", worst, len(at), at[len(at)-1].Sub(at[0]).Round(time.Millisecond))
}

// TestSharedSendSharesASmallList sends an issue to a list smaller than
// one chunk of a large list from three senders: each still delivers part
// of it, and nobody gets two copies.
func TestSharedSendSharesASmallList(t *testing.T) {
	sharedSend(t, 3, 40, 60)
}

// sharedSend sends issue 1 to subscribers confirmed subscribers from
// senders senders on their own stores of one PostgreSQL database, as that
// many processes would, at perSecond messages a second in all, and checks
// that each delivered part and everyone got one copy. It returns the mail
// server.
func sharedSend(t *testing.T, senders, subscribers int, perSecond float64) *smtptest.Server {
	t.Helper()
	url := testdb.URL(t, testdb.Postgres)
	ctx := context.Background()
	var stores []*store.Store
	for range senders {
		st, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		stores = append(stores, st)
	}
	withIssue(t, stores[0], func(n int) string { return fmt.Sprint("Issue ", n) })
	emails := addSubscribers(t, stores[0], subscribers)
	srv := smtptest.Start(t)

	sums := make([]Summary, len(stores))
	errs := make([]error, len(stores))
	var wg sync.WaitGroup
	for i, st := range stores {
		o := smtpOptions(t, srv)
		o.Rate = perSecond
		o.Concurrency = 2
		n := newTestNewsletter(t, st, o)
		wg.Go(func() { sums[i], errs[i] = n.Send(ctx, SendRequest{Issue: 1}) })
	}
	wg.Wait()
	total := 0
	for i := range stores {
		if errs[i] != nil || sums[i].Sent == 0 {
			t.Errorf("sender %d: %v, %v; want a share of the work", i, sums[i], errs[i])
		}
		total += sums[i].Sent
		t.Logf("sender %d: %s", i, sums[i])
	}
	if total != subscribers {
		t.Errorf("%d sent in all, want %d", total, subscribers)
	}
	for _, e := range emails {
		if c := srv.Count(e); c != 1 {
			t.Errorf("%s received %d copies", e, c)
		}
	}
	return srv
}
