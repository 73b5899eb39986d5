package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/feed"
	"github.com/bulletin-app/bulletin/internal/testtool"
	"github.com/bulletin-app/bulletin/store"
)

// archiveServer serves the archive of ../feed/testdata/issues.json through
// MountArchive, with every article URL moved to a second server that
// answers 200, so that every link on a page can be followed.
type archiveServer struct {
	srv, origin *httptest.Server
	mu          sync.Mutex
	log         []string // "METHOD path status user-agent"
}

func newArchiveServer(t *testing.T) *archiveServer {
	t.Helper()
	a := &archiveServer{}
	a.origin = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<!DOCTYPE html><title>article</title>")
	}))
	t.Cleanup(a.origin.Close)
	h := feed.NewHandler(nil)
	mux := http.NewServeMux()
	MountArchive(mux, h)
	// The sign-up form every page links to: the real one.
	newSubscribeEnv(t).subs.Routes(mux)
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		a.mu.Lock()
		a.log = append(a.log, r.Method+" "+r.URL.Path+" "+http.StatusText(rec.Code)+" "+r.UserAgent())
		a.mu.Unlock()
	}))
	t.Cleanup(a.srv.Close)

	b, err := os.ReadFile("../feed/testdata/issues.json")
	if err != nil {
		t.Fatal(err)
	}
	var issues []store.Issue
	if err := json.Unmarshal(b, &issues); err != nil {
		t.Fatal(err)
	}
	for i := range issues {
		for j := range issues[i].Entries {
			e := &issues[i].Entries[j]
			if u, err := url.Parse(e.URL); err == nil && u.Host != "" && strings.HasPrefix(u.Scheme, "http") {
				e.URL = a.origin.URL + u.Path
			}
		}
	}
	// The newest issue's first entry continues the story of the oldest
	// issue's first entry.
	oldest, newest := &issues[len(issues)-1], &issues[0]
	root, later := &oldest.Entries[0], &newest.Entries[0]
	root.StoryID, later.StoryID = root.ID, root.ID
	later.Earlier = &store.Earlier{ID: root.ID, Title: root.Title, IssueNumber: oldest.Number, ArticleKey: root.ArticleKey}
	set, err := feed.Build(feed.Site{
		Title: "Archive Test", Description: "Issues for the browser", URL: a.srv.URL + "/", Language: "en",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, issues)
	if err != nil {
		t.Fatal(err)
	}
	h.Update(set)
	return a
}

func (a *archiveServer) requests() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.log...)
}

func TestMountArchiveRoutes(t *testing.T) {
	a := newArchiveServer(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, want := range map[string]int{
		"/": 200, "/issues/3/": 200, "/issues/3": 301, "/issues/9/": 404,
		"/feed.atom": 200, "/feed.rss": 200, "/feed.json": 200,
		"/issues.atom": 200, "/issues.rss": 200, "/issues.json": 200,
		"/feeds/entries/archive/1.atom": 404, // one page holds every item at the default size
		"/elsewhere":                    404,
		"/stories/11/":                  200, "/stories/11": 301, "/stories/11/feed.atom": 200,
		"/stories/11/feed.rss": 200, "/stories/11/feed.json": 200, "/stories/12/": 404, "/stories/11/x": 404,
	} {
		res, err := client.Get(a.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, res.StatusCode, want)
		}
	}
	res, err := client.Post(a.srv.URL+"/feed.atom", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /feed.atom: %d", res.StatusCode)
	}
}

var (
	hrefRE  = regexp.MustCompile(`(?i)\s(?:href|src)="([^"]*)"`)
	altRE   = regexp.MustCompile(`<link rel="alternate" type="(application/(?:atom\+xml|rss\+xml|feed\+json))"[^>]*href="([^"]+)"`)
	entryRE = regexp.MustCompile(`<section class="entry(?: lead)?" id="e-[0-9a-f]+">`)
)

// TestArchiveInChromium loads the archive in headless Chromium, checks the
// DOM it built, then follows every link and asset on the page.
func TestArchiveInChromium(t *testing.T) {
	chromium := testtool.Need(t, "chromium")[0]
	a := newArchiveServer(t)
	pages := []struct {
		path, final string
		want        []string
		entries     int
		alts        int // autodiscovery links
	}{
		{"/", "/", []string{`<h1 class="title"><a href="">Archive Test</a></h1>`, `href="issues/3/"`, "Bulletin #2", "3 stories", `action="subscribe"`}, 0, 6},
		// Without the slash: the browser must follow the redirect.
		{"/issues/3", "/issues/3/", []string{"<h1>Bulletin #3: hostile input</h1>", "مرحبا بالعالم", "🎉", `rel="prev"`,
			"Earlier: <a href=", "(Archive Test #1)", `/stories/11/">Follow the story</a>`}, 3, 6},
		{"/issues/2/", "/issues/2/", []string{"<h1>Bulletin #2</h1>", "Go 1.26 is released", "The Go Blog", `rel="next"`}, 2, 6},
		// A story's page: its two entries, its own feeds first.
		{"/stories/11/", "/stories/11/", []string{"A story told in 2 entries", "Archive Test #3", "Archive Test #1"}, 2, 9},
	}
	for _, p := range pages {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
			"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--user-data-dir="+t.TempDir(), "--dump-dom", a.srv.URL+p.path)
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
		dom, err := cmd.Output()
		cancel()
		if err != nil {
			t.Fatalf("chromium %s: %v", p.path, err)
		}
		page := string(dom)
		for _, w := range p.want {
			if !strings.Contains(page, w) {
				t.Errorf("%s: rendered DOM lacks %q", p.path, w)
			}
		}
		if n := len(entryRE.FindAllString(page, -1)); n != p.entries {
			t.Errorf("%s: %d entries in the DOM, want %d", p.path, n, p.entries)
		}
		if strings.Contains(strings.ToLower(page), "<script") || strings.Contains(page, "javascript:") {
			t.Errorf("%s: script in the rendered page", p.path)
		}
		alts := altRE.FindAllStringSubmatch(page, -1)
		if len(alts) != p.alts {
			t.Errorf("%s: %d autodiscovery links, want %d", p.path, len(alts), p.alts)
		}
		base, _ := url.Parse(a.srv.URL + p.final)
		links := hrefRE.FindAllStringSubmatch(page, -1)
		if len(links) < 8 {
			t.Errorf("%s: only %d links", p.path, len(links))
		}
		for _, m := range links {
			ref, err := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
			if err != nil {
				t.Errorf("%s: bad link %q", p.path, m[1])
				continue
			}
			target := base.ResolveReference(ref)
			res, err := http.Get(target.String())
			if err != nil {
				t.Errorf("%s: link %s: %v", p.path, target, err)
				continue
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Errorf("%s: link %q → %s: %d", p.path, m[1], target, res.StatusCode)
			}
		}
		for _, alt := range alts {
			ref, _ := url.Parse(alt[2])
			res, err := http.Get(base.ResolveReference(ref).String())
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, alt[1]) {
				t.Errorf("%s: %s is served as %q, announced as %q", p.path, alt[2], got, alt[1])
			}
		}
	}
	var sawRedirect, sawTarget bool
	for _, r := range a.requests() {
		if strings.Contains(r, "HeadlessChrome") || strings.Contains(r, "Chrome") {
			sawRedirect = sawRedirect || strings.HasPrefix(r, "GET /issues/3 Moved Permanently")
			sawTarget = sawTarget || strings.HasPrefix(r, "GET /issues/3/ OK")
		}
	}
	if !sawRedirect || !sawTarget {
		t.Errorf("chromium did not follow /issues/3 → /issues/3/: %v", a.requests())
	}
}
