package newsletter

import (
	"context"
	"testing"

	"github.com/bulletin-app/bulletin/internal/smtptest"
	"github.com/bulletin-app/bulletin/store"
)

// TestTemporaryFailureOutlastingRetriesWaitsForTheNextRun: a server that
// keeps answering 451 for one recipient does not make the delivery fail
// for good; the next plain run sends it once the server takes it.
func TestTemporaryFailureOutlastingRetriesWaitsForTheNextRun(t *testing.T) {
	st := openStore(t)
	rcpts := addSubscribers(t, st, 3)
	srv := smtptest.Start(t)
	srv.AddFault(smtptest.Fault{Rcpts: []string{rcpts[0]}, Code: 451, Enhanced: [3]int{4, 3, 0}})
	n := newTestNewsletter(t, st, smtpOptions(t, srv))
	ctx := context.Background()

	sum, err := n.Send(ctx, SendRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sent != 2 || sum.Failed != 1 || sum.Remaining != 1 {
		t.Errorf("first send: sent %d, failed %d, remaining %d; want 2, 1, 1", sum.Sent, sum.Failed, sum.Remaining)
	}
	counts, _ := st.DeliveryCounts(ctx, sum.Issue)
	if counts[store.DeliveryFailed] != 0 || counts[store.DeliveryPending] != 1 {
		t.Errorf("ledger after temporary failures: %v; want the row pending, not failed", counts)
	}

	srv.ClearFaults()
	sum, err = n.Send(ctx, SendRequest{})
	if err != nil || sum.Sent != 1 {
		t.Fatalf("second send: sent %d, %v; want the postponed one", sum.Sent, err)
	}
	for _, r := range rcpts {
		if c := srv.Count(r); c != 1 {
			t.Errorf("%s got %d copies", r, c)
		}
	}
}
