package bulletin

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

const rssFeed = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Upstream</title><link>https://upstream.example.org/</link>
<description>News</description>
%s
</channel></rss>`

func rssItem(n int) string {
	return fmt.Sprintf(`<item><title>Story %d</title><link>https://upstream.example.org/story/%d?utm_source=rss</link>
<guid>https://upstream.example.org/story/%d</guid><pubDate>Mon, 02 Nov 2026 08:00:00 GMT</pubDate>
<description><![CDATA[<p>The council met on Monday to discuss story number %d at length. `+
		`Members agreed on a plan after a long debate that ran late into the evening.</p>`+
		`<p>The plan will be put to a public vote next month, officials said, and work could start in spring.</p>`+
		`<p>Residents can comment on the proposal online until the end of the month.</p>]]></description></item>`, n, n, n, n)
}

// TestUpstreamFeedSeedsFailsAndRecovers follows a feed source through what
// months of running bring: its first fetch is kept without being mailed,
// new items after it are issued, a failure that persists shows in status
// and clears when the feed recovers, and nothing collected is lost.
func TestUpstreamFeedSeedsFailsAndRecovers(t *testing.T) {
	ctx := context.Background()
	var down atomic.Bool
	var items atomic.Int32
	items.Store(2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		var b strings.Builder
		for i := 1; i <= int(items.Load()); i++ {
			b.WriteString(rssItem(i))
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, rssFeed, b.String())
	}))
	defer srv.Close()

	app, _ := newTestApp(t, "examples/articles", "fetch:\n  allow_networks: [127.0.0.1/32]\n")
	app.Config.Sources = []SourceConfig{{Name: "upstream", Feed: srv.URL + "/feed.xml", FullText: "never"}}
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	app.Now = func() time.Time { return now }

	// First fetch: two stories already there are kept, not mailed.
	rep, err := app.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Collect.New != 2 || rep.Issue.Number != 0 {
		t.Fatalf("first fetch: %d new, issue %d; want 2 seeded and no issue", rep.Collect.New, rep.Issue.Number)
	}

	// A new story: it alone makes the first issue.
	items.Store(3)
	now = now.Add(time.Hour)
	if rep, err = app.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if rep.Issue.Number != 1 || len(rep.Issue.Entries) != 1 || rep.Issue.Entries[0].Title != "Story 3" {
		t.Fatalf("after a new story: issue %d with %v", rep.Issue.Number, rep.Issue.Entries)
	}
	if u := rep.Issue.Entries[0].URL; u != "https://upstream.example.org/story/3" {
		t.Errorf("entry URL %q keeps tracking parameters", u)
	}

	// The feed goes down. Each try waits out the backoff the last one set,
	// and all stay within a day, so the count of failures decides.
	down.Store(true)
	status := func() string {
		r, err := app.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		r.WriteText(&b)
		return b.String()
	}
	for i := 1; i <= 3; i++ {
		now = now.Add(2 * time.Hour)
		app.Run(ctx)
		failing := strings.Contains(status(), "FAILING")
		if want := i >= app.Config.Fetch.ReportAfter; failing != want {
			t.Fatalf("after %d failed fetches: failing shown = %v, want %v\n%s", i, failing, want, status())
		}
	}
	if tot, _ := app.Store.Totals(ctx); tot.Articles != 3 {
		t.Errorf("while the feed is down, %d articles are stored, want the 3 collected", tot.Articles)
	}

	down.Store(false)
	now = now.Add(2 * time.Hour)
	if _, err := app.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if s := status(); strings.Contains(s, "FAILING") || strings.Contains(s, "failures") {
		t.Errorf("after recovery status still shows the failure:\n%s", s)
	}
}

func TestCollectGoesOnPastAFailedSource(t *testing.T) {
	app, _ := newTestApp(t, "examples/articles", "")
	app.Config.Sources = append([]SourceConfig{{Name: "gone", Folder: t.TempDir() + "/missing"}}, app.Config.Sources...)
	rep, err := app.Collect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "gone") {
		t.Errorf("err = %v; want one naming the failed source", err)
	}
	if len(rep.Failed) != 1 || rep.Failed[0] != "gone" || rep.New != 5 {
		t.Errorf("report %+v; want the missing folder failed and the 5 examples collected", rep)
	}
}
