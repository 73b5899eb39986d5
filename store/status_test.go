package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/bulletin-app/bulletin/source"
)

func TestTotalsCountEverything(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		if err := st.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		if tot, err := st.Totals(ctx); err != nil || tot.Articles+tot.Entries+tot.Issues+len(tot.Deliveries) != 0 {
			t.Fatalf("Totals of an empty store = %+v, %v", tot, err)
		}
		for i := range 3 {
			if _, err := st.SaveArticle(ctx, source.Article{Key: fmt.Sprintf("k%d", i), Title: "T", Text: "x"}, false); err != nil {
				t.Fatal(err)
			}
		}
		arts, err := st.ArticlesToSummarize(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range arts[:2] {
			if err := st.SaveEntry(ctx, Entry{ArticleID: a.ID, ContentHash: a.ContentHash, Summary: []string{"s"}, Method: "extractive"}); err != nil {
				t.Fatal(err)
			}
		}
		issue, err := st.CreateIssue(ctx, func(n int) string { return fmt.Sprint("Issue ", n) }, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for i := range 3 {
			sub, _, err := st.AddSubscriber(ctx, fmt.Sprintf("r%d@example.com", i), "", StatusConfirmed)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, sub.ID)
		}
		if _, err := st.PlanDeliveries(ctx, issue.Number, "example.com"); err != nil {
			t.Fatal(err)
		}
		if err := st.MarkDeliverySent(ctx, issue.Number, ids[0]); err != nil {
			t.Fatal(err)
		}
		if err := st.FailDelivery(ctx, issue.Number, ids[1], "550 no such user", false); err != nil {
			t.Fatal(err)
		}

		tot, err := st.Totals(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := Totals{Articles: 3, Entries: 2, Issues: 1,
			Deliveries: map[DeliveryStatus]int{DeliverySent: 1, DeliveryFailed: 1, DeliveryPending: 1}}
		if fmt.Sprint(tot) != fmt.Sprint(want) {
			t.Errorf("Totals = %+v; want %+v", tot, want)
		}
	})
}
