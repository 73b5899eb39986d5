package newsletter

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/bulletin-app/bulletin/internal/shutdown"
	"github.com/bulletin-app/bulletin/internal/smtptest"
	"github.com/bulletin-app/bulletin/store"
)

// TestStopStartsNothingNewAndTheNextSendFinishes asks for a stop in the
// middle of a send: no new message starts, the ones in flight are recorded,
// and the next send delivers the rest, everyone once.
func TestStopStartsNothingNewAndTheNextSendFinishes(t *testing.T) {
	st := openStore(t)
	rcpts := addSubscribers(t, st, 200)
	srv := smtptest.Start(t)
	o := smtpOptions(t, srv)
	o.Concurrency = 2
	n := newTestNewsletter(t, st, o)

	stop := make(chan struct{})
	var once sync.Once
	ctx := shutdown.WithStop(context.Background(), stop)
	sum, err := n.Send(ctx, SendRequest{Progress: func(p Progress) {
		if p.Sent >= 20 {
			once.Do(func() { close(stop) })
		}
	}})
	if !errors.Is(err, shutdown.ErrStopped) {
		t.Fatalf("send after a stop: err = %v, want ErrStopped", err)
	}
	if sum.Sent < 20 || sum.Sent > 40 || sum.Remaining == 0 {
		t.Errorf("stopped send: sent %d, remaining %d; want it to stop soon after 20, with the rest pending", sum.Sent, sum.Remaining)
	}
	if got := srv.Total(); got != sum.Sent {
		t.Errorf("server has %d messages, the summary says %d sent", got, sum.Sent)
	}

	sum2, err := n.Send(context.Background(), SendRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sent+sum2.Sent != len(rcpts) {
		t.Errorf("sent %d then %d, want %d in all", sum.Sent, sum2.Sent, len(rcpts))
	}
	for _, r := range rcpts {
		if c := srv.Count(r); c != 1 {
			t.Errorf("%s got %d copies", r, c)
		}
	}
	counts, _ := st.DeliveryCounts(context.Background(), sum.Issue)
	if counts[store.DeliverySent] != len(rcpts) {
		t.Errorf("ledger: %v", counts)
	}
}
