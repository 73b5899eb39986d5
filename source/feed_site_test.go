package source

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// site is an HTTPS server that answers for every host name, so fixtures can
// keep the absolute links real feeds have. It serves source/testdata.
type site struct {
	srv    *httptest.Server
	client *http.Client

	mu       sync.Mutex
	requests []*http.Request
	fail     bool // answer 500 to everything
}

// routes maps host+path to a fixture file and its Content-Type.
var routes = map[string][2]string{
	"riverside-chronicle.example/feed.xml":                   {"feeds/rss2.xml", "application/rss+xml; charset=UTF-8"},
	"riverside-chronicle.example/2024/03/11/bridge-repairs/": {"pages/bridge-repairs.html", "text/html; charset=UTF-8"},
	"riverside-chronicle.example/":                           {"feeds/not-a-feed.html", "text/html; charset=UTF-8"},
	"fieldnotes.example/atom.xml":                            {"feeds/atom.xml", "application/atom+xml"},
	"fieldnotes.example/2024/01/old-code/":                   {"pages/old-code.html", "text/html"},
	"kitchentable.example/feed.json":                         {"feeds/jsonfeed.json", "application/feed+json"},
	"cafedunord.example/prolog.xml":                          {"feeds/latin1-prolog.xml", "application/rss+xml"},
	"cafedunord.example/header.xml":                          {"feeds/latin1-header.xml", "text/xml; charset=ISO-8859-1"},
	"rayon-news.example/feed.xml":                            {"feeds/koi8r-header.xml", "application/rss+xml; charset=KOI8-R"},
	"broken.example/invalid.xml":                             {"feeds/invalid.xml", "application/rss+xml"},
	"quiet.example/feed.xml":                                 {"feeds/empty.xml", "application/rss+xml"},
}

const fixtureETag = `"rss-v1"`
const fixtureModified = "Tue, 12 Mar 2024 18:04:11 GMT"

func newSite(t *testing.T) *site {
	t.Helper()
	s := &site{}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // aborted handshakes are expected
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	addr := s.srv.Listener.Addr().String()
	// Production's client, guard included, with the test server's address
	// allowed and every name leading to it.
	s.client = loopbackClient()
	tr := s.client.Transport.(*http.Transport)
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dial(ctx, network, addr)
	}
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	return s
}

func (s *site) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Clone(context.Background()))
	fail := s.fail
	s.mu.Unlock()
	if fail {
		http.Error(w, "database is down", http.StatusInternalServerError)
		return
	}
	key := r.Host + r.URL.Path
	switch key {
	case "loop.example/feed":
		http.Redirect(w, r, "/feed", http.StatusFound)
		return
	case "huge.example/feed":
		// Endless and fast: only the size limit stops it.
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>`))
		chunk := []byte(strings.Repeat("<item><title>spam</title></item>", 1000))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		return
	case "slow.example/feed":
		// Endless and slow: only the timeout stops it.
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel>`))
		w.(http.Flusher).Flush()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
				w.Write([]byte(" "))
				w.(http.Flusher).Flush()
			}
		}
	case "busy.example/feed":
		w.Header().Set("Retry-After", "7200")
		http.Error(w, "slow down", http.StatusTooManyRequests)
		return
	}
	route, ok := routes[key]
	if !ok {
		http.NotFound(w, r)
		return
	}
	body, err := os.ReadFile(filepath.Join("testdata", route[0]))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", route[1])
	if strings.HasSuffix(r.URL.Path, ".xml") || strings.HasSuffix(r.URL.Path, ".json") {
		w.Header().Set("ETag", fixtureETag)
		w.Header().Set("Last-Modified", fixtureModified)
		if r.Header.Get("If-None-Match") == fixtureETag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Write(body)
}

func (s *site) setFail(v bool) {
	s.mu.Lock()
	s.fail = v
	s.mu.Unlock()
}

// hits returns the requests made so far for host+path.
func (s *site) hits(hostPath string) []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*http.Request
	for _, r := range s.requests {
		if r.Host+r.URL.Path == hostPath {
			out = append(out, r)
		}
	}
	return out
}

// feed returns an UpstreamFeed for url on this site, with a fixed clock.
func (s *site) feed(url string, now time.Time) UpstreamFeed {
	return UpstreamFeed{
		Name:      "test",
		URL:       url,
		Client:    s.client,
		UserAgent: "bulletin/test (+https://bulletin.example)",
		Timeout:   2 * time.Second,
		Now:       func() time.Time { return now },
	}
}

func dump(r Result) string {
	var b strings.Builder
	for _, a := range r.Articles {
		fmt.Fprintf(&b, "key=%s\ntitle=%q author=%q published=%v\n%s\n---\n", a.Key, a.Title, a.Author, a.Published, a.Text)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "problem: %v\n", p)
	}
	return b.String()
}
