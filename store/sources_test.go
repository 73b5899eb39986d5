package store

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/source"
)

func TestSourceStateRoundTrip(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)

		got, err := st.SourceState(ctx, "news")
		if err != nil || got != (source.State{}) || !got.FirstRun() {
			t.Fatalf("unsaved source: %+v, %v; want zero state", got, err)
		}

		at := time.Date(2024, 3, 13, 12, 0, 0, 123456789, time.UTC).Truncate(db.precision())
		want := source.State{
			ETag: `W/"abc"`, LastModified: "Tue, 12 Mar 2024 18:04:11 GMT",
			LastFetch: at, LastSuccess: at.Add(-3 * time.Hour), Failures: 3,
			FirstFailure: at.Add(-2 * time.Hour), FailingSince: at, NextAttempt: at.Add(time.Hour),
			LastError: "GET https://example.org/feed: 500 Internal Server Error",
		}
		if err := st.SaveSourceState(ctx, "news", want); err != nil {
			t.Fatal(err)
		}
		if err := st.SaveSourceState(ctx, "blog", source.State{LastFetch: at, LastSuccess: at}); err != nil {
			t.Fatal(err)
		}
		got, err = st.SourceState(ctx, "news")
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
		}
		if !got.Failing() || got.FirstRun() {
			t.Errorf("Failing %v FirstRun %v", got.Failing(), got.FirstRun())
		}

		// Recovery overwrites the failure record.
		recovered := want
		recovered.Failures, recovered.FirstFailure, recovered.FailingSince = 0, time.Time{}, time.Time{}
		recovered.NextAttempt, recovered.LastError = time.Time{}, ""
		if err := st.SaveSourceState(ctx, "news", recovered); err != nil {
			t.Fatal(err)
		}
		list, err := st.ListSourceStates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Name != "blog" || list[1].Name != "news" {
			t.Fatalf("list = %+v", list)
		}
		if list[1].State != recovered || list[1].Failing() {
			t.Errorf("after recovery: %+v", list[1].State)
		}
	})
}

func TestKnownArticle(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		if _, err := st.SaveArticle(ctx, source.Article{Key: "https://example.org/a", Title: "A", Text: "x"}, false); err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]bool{"https://example.org/a": true, "https://example.org/b": false} {
			if got, err := st.KnownArticle(ctx, key); err != nil || got != want {
				t.Errorf("KnownArticle(%q) = %v, %v; want %v", key, got, err, want)
			}
		}
	})
}

// The sequence `bulletin status` shows, through the store: three failures
// make the source failing, a success clears it, and the articles collected
// before stay stored throughout.
func TestSourceFailureSequencePersisted(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		var failing atomic.Bool
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if failing.Load() {
				http.Error(w, "down", http.StatusBadGateway)
				return
			}
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Header().Set("ETag", `"v1"`)
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			io.WriteString(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>/</link><description>d</description>
<item><title>One</title><link>/one</link><description>`+strings.Repeat("Text of one. ", 300)+`</description></item>
<item><title>Two</title><link>/two</link><description>`+strings.Repeat("Text of two. ", 300)+`</description></item>
</channel></rss>`)
		}))
		defer srv.Close()

		now := time.Date(2024, 3, 13, 12, 0, 0, 0, time.UTC)
		feed := source.UpstreamFeed{Name: "news", URL: srv.URL + "/feed", FullText: source.FullTextNever, Now: func() time.Time { return now },
			Client: source.NewClient(source.ClientOptions{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})}
		run := func() error {
			state, err := st.SourceState(ctx, "news")
			if err != nil {
				t.Fatal(err)
			}
			if now.Before(state.NextAttempt) {
				now = state.NextAttempt
			}
			res, next, fetchErr := feed.Fetch(ctx, state)
			for _, a := range res.Articles {
				if _, err := st.SaveArticle(ctx, a, state.FirstRun()); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.SaveSourceState(ctx, "news", next); err != nil {
				t.Fatal(err)
			}
			return fetchErr
		}
		status := func() source.State {
			list, err := st.ListSourceStates(ctx)
			if err != nil || len(list) != 1 {
				t.Fatalf("ListSourceStates = %v, %v", list, err)
			}
			return list[0].State
		}

		if err := run(); err != nil {
			t.Fatal(err)
		}
		if tot, _ := st.Totals(ctx); tot.Articles != 2 {
			t.Fatalf("%d articles after first run", tot.Articles)
		}
		failing.Store(true)
		for i, want := range []bool{false, false, true} {
			now = now.Add(time.Minute)
			if err := run(); err == nil {
				t.Fatalf("failure %d: no error", i+1)
			}
			if s := status(); s.Failing() != want || s.ETag != `"v1"` {
				t.Errorf("after failure %d: %+v, want Failing %v", i+1, s, want)
			}
			if tot, _ := st.Totals(ctx); tot.Articles != 2 {
				t.Errorf("after failure %d: %d articles stored, want 2", i+1, tot.Articles)
			}
		}
		failing.Store(false)
		if err := run(); err != nil { // a 304: nothing new, still a success
			t.Fatal(err)
		}
		if s := status(); s.Failing() || s.Failures != 0 || s.LastError != "" {
			t.Errorf("after recovery: %+v", s)
		}
		if tot, _ := st.Totals(ctx); tot.Articles != 2 {
			t.Errorf("after recovery: %d articles stored, want 2", tot.Articles)
		}
	})
}
