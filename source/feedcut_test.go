package source

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestCutReportedOnlyWhenItLosesNews: a feed that always holds more than
// fetch.max_items items was reported at every fetch, though it only lost
// old items it had lost before. The cut is reported when it leaves out an
// item never collected: at the first fetch, and when more news came than
// a fetch takes; not at the fetches between.
func TestCutReportedOnlyWhenItLosesNews(t *testing.T) {
	var newest atomic.Int64 // the feed holds items newest-149 … newest
	newest.Store(150)
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		b.WriteString(rssHead)
		for i := newest.Load(); i > newest.Load()-150; i-- {
			fmt.Fprintf(&b, "<item><title>Story %d</title><link>https://example.org/%d</link><description>Text of story %d.</description><pubDate>%s</pubDate></item>\n",
				i, i, i, day.Add(time.Duration(i)*time.Hour).Format(time.RFC1123Z))
		}
		b.WriteString("</channel></rss>")
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, b.String())
	}))
	t.Cleanup(srv.Close)
	stored := map[string]bool{}
	f := UpstreamFeed{Name: "big", URL: srv.URL + "/feed.xml", Client: loopbackClient(), MaxItems: 100, FullText: FullTextNever,
		Known: func(key string) bool { return stored[key] }}
	var st State
	fetch := func() (reported bool) {
		t.Helper()
		res, next, err := f.Fetch(context.Background(), st)
		if err != nil {
			t.Fatal(err)
		}
		st = next
		if len(res.Articles) != 100 {
			t.Fatalf("%d articles, want the newest 100", len(res.Articles))
		}
		for _, a := range res.Articles {
			stored[a.Key] = true
		}
		for _, p := range res.Problems {
			if strings.Contains(p.Error(), "fetch.max_items") {
				return true
			}
			t.Errorf("problem %v", p)
		}
		return false
	}
	if !fetch() {
		t.Error("the first fetch left out 50 items never collected, and did not say so")
	}
	for range 3 {
		newest.Add(1)
		if fetch() {
			t.Error("a fetch that lost no news reported the cut")
		}
	}
	newest.Add(120) // more news than a fetch takes
	if !fetch() {
		t.Error("a fetch that left out 20 new items did not say so")
	}
	if fetch() {
		t.Error("the same feed fetched again reported the cut again")
	}
	// Without a store to ask, every cut is reported.
	f.Known = nil
	if !fetch() {
		t.Error("a cut was not reported without a store to ask")
	}
}
