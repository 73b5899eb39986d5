package source

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// A feed of teasers whose items are all stored already yields no articles,
// but its new validators must be kept: else every later fetch downloads the
// whole feed again instead of getting a 304.
func TestFetchKnownItemsKeepNewValidators(t *testing.T) {
	var conditional int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v2"`)
		if r.Header.Get("If-None-Match") == `"v2"` {
			conditional++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>T</title><link>%[1]s/</link>
<item><title>Old story</title><link>%[1]s/old</link><description>A teaser…</description></item>
</channel></rss>`, "http://"+r.Host)
	}))
	defer srv.Close()
	f := UpstreamFeed{Name: "t", URL: srv.URL + "/feed.xml", Client: loopbackClient(), Known: func(string) bool { return true }}
	res, st, err := f.Fetch(context.Background(), State{ETag: `"v1"`})
	if err != nil || len(res.Articles) != 0 {
		t.Fatalf("fetch: %d articles, %v", len(res.Articles), err)
	}
	if st.ETag != `"v2"` {
		t.Errorf("ETag after a changed feed of known items = %q, want \"v2\"", st.ETag)
	}
	if _, _, err := f.Fetch(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if conditional != 1 {
		t.Errorf("second fetch was not answered 304")
	}
}
