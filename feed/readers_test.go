package feed

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/bulletin-app/bulletin/internal/testtool"
)

// recorder notes the status of every response, per user agent, so that a
// test can tell whether a real reader revalidated.
type recorder struct {
	h  http.Handler
	mu sync.Mutex
	// statuses["path status"] counts responses, e.g. "/feed.atom 304".
	statuses map[string]int
	agents   map[string]bool
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w, status: 200}
	rec.h.ServeHTTP(sw, r)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.statuses[r.URL.Path+" "+http.StatusText(sw.status)]++
	rec.agents[r.UserAgent()] = true
}

func (rec *recorder) count(key string) int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.statuses[key]
}

func serveRecorded(t *testing.T) (*httptest.Server, *recorder, *Set) {
	h := NewHandler(nil)
	rec := &recorder{h: h, statuses: map[string]int{}, agents: map[string]bool{}}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	set := build(t, testSite(srv.URL+"/"), loadIssues(t))
	h.Update(set)
	return srv, rec, set
}

// TestFeedparserOverHTTP fetches the feeds with Debian's feedparser the way
// a polling reader does: a first GET, then one with the ETag and date it
// got, which must come back 304.
func TestFeedparserOverHTTP(t *testing.T) {
	py := testtool.NeedPython(t, "feedparser")
	srv, rec, set := serveRecorded(t)
	script := `
import json, sys, feedparser
out = []
for url in sys.argv[1:]:
    a = feedparser.parse(url)
    b = feedparser.parse(url, etag=a.get("etag"), modified=a.get("modified"))
    out.append({"status": a.status, "status2": b.status, "bozo": bool(a.bozo),
        "encoding": a.headers.get("content-encoding", ""), "type": a.headers.get("content-type", ""),
        "ids": [e.id for e in a.entries], "entries2": len(b.entries)})
print(json.dumps(out))
`
	urls := []string{srv.URL + EntriesAtom, srv.URL + EntriesRSS, srv.URL + IssuesAtom, srv.URL + IssuesRSS}
	out, err := exec.Command(py, append([]string{"-c", script}, urls...)...).Output()
	if err != nil {
		t.Fatalf("feedparser: %v", err)
	}
	var res []struct {
		Status, Status2 int
		Bozo            bool
		Encoding, Type  string
		IDs             []string
		Entries2        int
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for i, r := range res {
		path := strings.TrimPrefix(urls[i], srv.URL)
		if r.Status != 200 || r.Status2 != 304 || r.Entries2 != 0 {
			t.Errorf("%s: statuses %d then %d (%d entries the second time), want 200 then 304", path, r.Status, r.Status2, r.Entries2)
		}
		if r.Bozo || r.Encoding != "gzip" || !strings.HasSuffix(r.Type, "charset=utf-8") {
			t.Errorf("%s: bozo=%v encoding=%q type=%q", path, r.Bozo, r.Encoding, r.Type)
		}
		want := itemIDs(parseGofeed(t, body(t, set, path)))
		if strings.Join(r.IDs, " ") != strings.Join(want, " ") {
			t.Errorf("%s: feedparser saw %v, want %v", path, r.IDs, want)
		}
		if rec.count(path+" Not Modified") != 1 {
			t.Errorf("%s: server sent %d 304s", path, rec.count(path+" Not Modified"))
		}
	}
}

// TestNewsboat reloads the Atom and RSS feeds in newsboat, headless, and
// reads what it stored. newsboat keeps one row per guid across all its
// feeds, so each format gets its own cache. It only sends If-None-Match
// from its third reload of a new cache, so it reloads three times.
func TestNewsboat(t *testing.T) {
	tools := testtool.Need(t, "newsboat", "sqlite3")
	srv, rec, set := serveRecorded(t)
	for _, paths := range [][]string{{EntriesAtom, IssuesAtom}, {EntriesRSS, IssuesRSS}} {
		seen := newsboat(t, tools, srv.URL, paths)
		for _, p := range paths {
			want := itemIDs(parseGofeed(t, body(t, set, p)))
			got := seen[p]
			sort.Strings(want)
			sort.Strings(got)
			if len(got) == 0 || strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("%s: newsboat stored %v, want %v", p, got, want)
			}
			if rec.count(p+" Not Modified") == 0 {
				t.Errorf("%s: newsboat never got a 304 in three reloads (statuses %v)", p, rec.statuses)
			}
		}
	}
}

// newsboat reloads the feeds at base+paths three times into a new cache and
// returns the guids it stored, by path.
func newsboat(t *testing.T, tools []string, base string, paths []string) map[string][]string {
	dir := t.TempDir()
	var urls []string
	for _, p := range paths {
		urls = append(urls, base+p)
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "urls"), []byte(strings.Join(urls, "\n")+"\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "config"), nil, 0o644))
	cache := filepath.Join(dir, "cache.db")
	for i := 0; i < 3; i++ {
		cmd := exec.Command(tools[0], "-q", "-u", filepath.Join(dir, "urls"), "-c", cache,
			"-C", filepath.Join(dir, "config"), "-x", "reload", "print-unread")
		cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("newsboat reload %d: %v\n%s", i+1, err, out)
		}
		if !strings.Contains(string(out), "unread articles") {
			t.Errorf("newsboat printed %q", out)
		}
	}
	out, err := exec.Command(tools[1], "-separator", "\t", cache, "select feedurl, guid from rss_item").Output()
	if err != nil {
		t.Fatalf("sqlite3: %v", err)
	}
	seen := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.SplitN(line, "\t", 2); len(f) == 2 {
			p := strings.TrimPrefix(f[0], base)
			seen[p] = append(seen[p], f[1])
		}
	}
	return seen
}
