package newsletter

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/internal/storetest"
	"github.com/bulletin-app/bulletin/store"
)

// TestRecoveryStopsOnALedgerWriteError leaves a row in "sending", as a
// killed outbox send does, and makes the database refuse to settle it: the
// next send must stop with that error, not go on as if the row were settled.
func TestRecoveryStopsOnALedgerWriteError(t *testing.T) {
	for _, tc := range []struct {
		name string
		file bool // the killed run wrote the outbox file
	}{
		{"file written, marking it sent fails", true},
		{"file missing, releasing it fails", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			emails := addSubscribers(t, st, 2)
			o := testOptions(t)
			n := newTestNewsletter(t, st, o)
			if _, err := st.PlanDeliveries(ctx, 1, "bulletin.example"); err != nil {
				t.Fatal(err)
			}
			cut, err := st.SubscriberByEmail(ctx, emails[0])
			if err != nil {
				t.Fatal(err)
			}
			if ok, err := st.ClaimDelivery(ctx, 1, cut.ID, store.DeliveryPending); err != nil || !ok {
				t.Fatalf("claim: %v %v", ok, err)
			}
			if tc.file {
				if err := os.MkdirAll(o.OutboxDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(o.OutboxDir, outboxName(1, cut.ID)), []byte("To: "+emails[0]+"\r\n\r\nhi\r\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// A trigger in the file, so the store's own connections meet it:
			// any change of the cut-short row's status is refused.
			storetest.Exec(t, st, fmt.Sprintf(`CREATE TRIGGER refuse BEFORE UPDATE OF status ON deliveries
				WHEN OLD.subscriber_id = %d BEGIN SELECT RAISE(ABORT, 'ledger write refused'); END`, cut.ID),
				fmt.Sprintf(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'ledger write refused'; END $$;
				CREATE TRIGGER refuse BEFORE UPDATE OF status ON deliveries
				FOR EACH ROW WHEN (OLD.subscriber_id = %d) EXECUTE FUNCTION refuse()`, cut.ID))

			sum, err := n.Send(ctx, SendRequest{})
			if err == nil || !strings.Contains(err.Error(), "ledger write refused") {
				t.Fatalf("send: %+v, %v; want the ledger's error", sum, err)
			}
			if sum.Sent != 0 {
				t.Errorf("summary %+v: the send went on past an unsettled row", sum)
			}
			counts, err := st.DeliveryCounts(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if counts[store.DeliverySending] != 1 || counts[store.DeliveryPending] != 1 {
				t.Errorf("ledger %v; want the cut-short row still sending and the other pending", counts)
			}
			files, _ := filepath.Glob(filepath.Join(o.OutboxDir, "*.eml"))
			want := 0
			if tc.file {
				want = 1
			}
			if len(files) != want {
				t.Errorf("outbox holds %v; want %d files", files, want)
			}
		})
	}
}
