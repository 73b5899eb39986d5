package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkLedger is the store's part of a send of one issue to 10,000
// subscribers, on each backend: planning the ledger, reading it in pages
// of 256, and claiming the rows in groups of 64 with the previous group's
// "sent" marks, as the newsletter's sender commits them.
func BenchmarkLedger(b *testing.B) {
	const subscribers, page, group = 10000, 256, 64
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			ctx := context.Background()
			st := testDB{backend}.openURL(b, testDB{backend}.urlB(b))
			if _, err := st.CreateIssue(ctx, func(int) string { return "One" }, nil); err != nil {
				b.Fatal(err)
			}
			subs := make([]NewSubscriber, subscribers)
			for i := range subs {
				subs[i] = NewSubscriber{Email: fmt.Sprintf("r%d@example.com", i), Status: StatusConfirmed}
			}
			start := time.Now()
			if _, _, err := st.ImportSubscribers(ctx, subs); err != nil {
				b.Fatal(err)
			}
			imported := float64(subscribers) / time.Since(start).Seconds()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				if err := st.ForgetDeliveries(ctx, 1); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				ledger(b, st, page, group)
			}
			b.ReportMetric(float64(subscribers*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(imported, "import-rows/s")
		})
	}
}

func ledger(b *testing.B, st *Store, page, group int) {
	ctx := context.Background()
	if _, err := st.PlanDeliveries(ctx, 1, "example.com"); err != nil {
		b.Fatal(err)
	}
	l, err := st.Ledger(ctx, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	var sent []int64
	var after int64
	for {
		rows, err := st.Deliveries(ctx, 1, DeliveryPending, true, after, page)
		if err != nil {
			b.Fatal(err)
		}
		if len(rows) == 0 {
			break
		}
		after = rows[len(rows)-1].SubscriberID
		for i := 0; i < len(rows); i += group {
			var claims []Claim
			for _, d := range rows[i:min(i+group, len(rows))] {
				claims = append(claims, Claim{SubscriberID: d.SubscriberID, From: DeliveryPending})
			}
			if err := l.Commit(ctx, claims, sent); err != nil {
				b.Fatal(err)
			}
			sent = sent[:0]
			for _, c := range claims {
				if c.Claimed {
					sent = append(sent, c.SubscriberID)
				}
			}
		}
	}
	if err := l.Commit(ctx, nil, sent); err != nil {
		b.Fatal(err)
	}
}
