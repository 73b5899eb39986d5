package source

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// teaserFeed serves a feed of n teaser items, whose pages page answers.
func teaserFeed(t *testing.T, n int, page http.HandlerFunc) (url string, pages *atomic.Int32) {
	t.Helper()
	pages = &atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/feed.xml" {
			pages.Add(1)
			page(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Teasers</title><link>http://%s/</link>`, r.Host)
		for i := range n {
			fmt.Fprintf(w, `<item><title>Story %d</title><link>http://%s/story/%d</link><description>It begins…</description></item>`, i, r.Host, i)
		}
		fmt.Fprint(w, `</channel></rss>`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/feed.xml", pages
}

func articlePage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html")
	fmt.Fprintf(w, "<html><body><article><h1>%s</h1><p>%s</p></article></body></html>", r.URL.Path, strings.Repeat("The full story goes on. ", 60))
}

// A feed of 3,000 teasers made 3,000 page fetches; now a fetch makes at
// most MaxPages, and the rest keep their feed text, reported once.
func TestFullTextPageBudget(t *testing.T) {
	url, pages := teaserFeed(t, 3000, articlePage)
	f := UpstreamFeed{Name: "teasers", URL: url, Client: loopbackClient(), MaxItems: 5000, MaxPages: 40, PageConcurrency: 8}
	res, _, err := f.Fetch(context.Background(), State{})
	if err != nil {
		t.Fatal(err)
	}
	if n := pages.Load(); n != 40 {
		t.Errorf("%d pages fetched, want 40", n)
	}
	full := 0
	for _, a := range res.Articles {
		if strings.Contains(a.Text, "full story") {
			full++
		}
	}
	if len(res.Articles) != 3000 || full != 40 {
		t.Errorf("%d articles, %d with full text; want 3000 and 40", len(res.Articles), full)
	}
	if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Error(), "2960 pages not fetched") {
		t.Errorf("problems %v", res.Problems)
	}

	// With the defaults: the newest 100 items, and 50 pages of them.
	url, pages = teaserFeed(t, 3000, articlePage)
	res, _, err = UpstreamFeed{Name: "teasers", URL: url, Client: loopbackClient()}.Fetch(context.Background(), State{})
	if err != nil {
		t.Fatal(err)
	}
	if n := pages.Load(); n != DefaultMaxPages || len(res.Articles) != DefaultMaxItems {
		t.Errorf("defaults: %d pages fetched, %d articles; want %d and %d", n, len(res.Articles), DefaultMaxPages, DefaultMaxItems)
	}
}

// When the caller's deadline passes, the pages not fetched by then keep
// their feed text and are reported once; the articles are returned.
func TestFullTextStopsAtTheDeadline(t *testing.T) {
	started := make(chan struct{}, 100)
	url, _ := teaserFeed(t, 16, func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-r.Context().Done() // a page that never comes
	})
	cause := errors.New("the collect's time is up")
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		for range 4 { // the first four pages are being waited for
			<-started
		}
		cancel(cause)
	}()
	f := UpstreamFeed{Name: "slow", URL: url, Client: loopbackClient(), Timeout: DefaultTimeout}
	// The feed itself came before the deadline: its fetch succeeds.
	res, _, err := f.articlesAfterFeed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Articles) != 16 {
		t.Errorf("%d articles, want the 16 with their feed text", len(res.Articles))
	}
	if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Error(), "16 pages not fetched") || !errors.Is(res.Problems[0], cause) {
		t.Errorf("problems %v; want one naming the 16 pages and the cause", res.Problems)
	}
}

// articlesAfterFeed fetches the feed with a context that never ends, then
// its pages with ctx: the deadline falls between the two.
func (f UpstreamFeed) articlesAfterFeed(ctx context.Context) (Result, *parsedFeed, error) {
	resp, err := f.fetcher().get(context.Background(), f.URL, feedAccept, nil, fetchTime)
	if err != nil {
		return Result{}, nil, err
	}
	parsed, err := parseFeed(resp, f.URL, f.maxItems())
	if err != nil {
		return Result{}, nil, err
	}
	res, _ := f.articles(ctx, parsed, resp.url, fetchTime, "")
	return res, parsed, nil
}
