package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/testtool"
)

// buildBinary compiles bulletin into a temporary folder, so that the test
// runs the program as users do: a process, signals and all.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bulletin")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe starts "bulletin serve" in dir and waits until it answers.
// Its metrics are served at metricsAddr, if given, else nowhere.
func startServe(t *testing.T, bin, dir, addr string, metricsAddr ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	useDatabase(t, dir)
	cmd := exec.Command(bin, "serve", "--addr", addr, "--metrics-addr", append(metricsAddr, "off")[0])
	cmd.Dir = dir
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/feed.atom")
		if err == nil {
			resp.Body.Close()
			return cmd, logs
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer: %v\n%s", err, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// stop sends SIGTERM and waits for a clean exit.
func stop(t *testing.T, cmd *exec.Cmd, logs *syncBuffer) {
	t.Helper()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v\n%s", err, logs)
		}
	case <-time.After(40 * time.Second):
		t.Fatalf("serve did not stop after SIGTERM\n%s", logs)
	}
}

func TestServeAnswersReadersAndStopsCleanly(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	writeFile(t, filepath.Join(dir, "config.yaml"), fmt.Sprintf("site:\n  url: http://%s/\nsources:\n  - name: local\n    folder: articles\n", addr))
	writeFile(t, filepath.Join(dir, "articles", "one.txt"), goodArticle)
	writeFile(t, filepath.Join(dir, "articles", "two.txt"), "Second story\n\nThe river clean-up collected two tonnes of rubbish on Saturday. "+
		"More than 300 volunteers took part. Organisers said plastic waste had fallen since last year.\n")
	useDatabase(t, dir) // for the processes started here
	run := exec.Command(bin, "run")
	run.Dir = dir
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("bulletin run: %v\n%s", err, out)
	}

	metricsAddr := freeAddr(t)
	cmd, logs := startServe(t, bin, dir, addr, metricsAddr)
	base := "http://" + addr

	// The public address tells no one the list's figures; the operators'
	// one does. Health is public.
	for _, c := range []struct {
		url  string
		want int
	}{{base + "/metrics", 404}, {base + "/healthz", 200}, {"http://" + metricsAddr + "/metrics", 200}, {"http://" + metricsAddr + "/healthz", 200}} {
		resp, err := http.Get(c.url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("GET %s: %d, want %d", c.url, resp.StatusCode, c.want)
		}
		if strings.Contains(string(body), "bulletin_subscribers") != (c.want == 200 && strings.HasSuffix(c.url, "/metrics")) {
			t.Errorf("GET %s: subscriber figures where they should not be, or missing:\n%.300s", c.url, body)
		}
		if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no security headers: %v", c.url, resp.Header)
		}
	}

	for path, ctype := range map[string]string{
		"/feed.atom": "application/atom+xml", "/feed.rss": "application/rss+xml", "/feed.json": "application/feed+json",
		"/": "text/html", "/issues/1/": "text/html",
	} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) || len(body) == 0 {
			t.Errorf("GET %s: %d %q, %d bytes", path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
	}

	checkFeedparserOverHTTP(t, base)
	checkNewsboat(t, base)

	// A run by hand in another process: serve picks up the new issue.
	writeFile(t, filepath.Join(dir, "articles", "three.txt"), "Third story\n\nThe bakery won the national bread award on Thursday. "+
		"Its rye sourdough beat 600 other loaves. The owners will train two apprentices with the prize money.\n")
	run = exec.Command(bin, "run")
	run.Dir = dir
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("bulletin run while serving: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/issues/2/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve still answers %d for the issue another process built\n%s", resp.StatusCode, logs)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The first SIGTERM stops it cleanly, with status 0.
	stop(t, cmd, logs)
}

// checkFeedparserOverHTTP fetches the Atom and RSS feeds with Python's
// feedparser twice, as a polling reader does: the second time with the
// validators of the first, which must get a 304.
func checkFeedparserOverHTTP(t *testing.T, base string) {
	t.Helper()
	python := testtool.NeedPython(t, "feedparser")
	script := `
import feedparser, json, sys
out = []
for url in sys.argv[1:]:
    d = feedparser.parse(url)
    again = feedparser.parse(url, etag=d.get("etag"), modified=d.get("modified"))
    out.append({"url": url, "bozo": bool(d.bozo), "status": d.get("status"), "items": len(d.entries),
                "ids": [e.get("id") for e in d.entries], "second": again.get("status")})
print(json.dumps(out))
`
	out, err := exec.Command(python, "-c", script, base+"/feed.atom", base+"/feed.rss").Output()
	if err != nil {
		t.Fatalf("feedparser: %v", err)
	}
	var res []struct {
		URL            string
		Bozo           bool
		Status, Second int
		Items          int
		IDs            []string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Bozo || r.Status != 200 || r.Items != 2 || r.Second != 304 {
			t.Errorf("feedparser %s: bozo=%v status=%d items=%d, then %d; want a clean 200 with 2 items, then 304", r.URL, r.Bozo, r.Status, r.Items, r.Second)
		}
	}
	if len(res) == 2 && strings.Join(res[0].IDs, " ") != strings.Join(res[1].IDs, " ") {
		t.Errorf("Atom and RSS give different ids: %v vs %v", res[0].IDs, res[1].IDs)
	}
}

// checkNewsboat reloads each feed in newsboat, a terminal feed reader, and
// reads what it stored. Each feed gets its own cache: newsboat keeps one
// item per id, and the Atom and RSS feeds rightly share their ids.
func checkNewsboat(t *testing.T, base string) {
	t.Helper()
	testtool.Need(t, "newsboat", "sqlite3")
	for _, feed := range []string{base + "/feed.atom", base + "/feed.rss"} {
		dir := t.TempDir()
		urls := filepath.Join(dir, "urls")
		writeFile(t, urls, feed+"\n")
		writeFile(t, filepath.Join(dir, "config"), "")
		cache := filepath.Join(dir, "cache.db")
		cmd := exec.Command("newsboat", "-q", "-u", urls, "-c", cache, "-C", filepath.Join(dir, "config"), "-x", "reload", "print-unread")
		cmd.Env = append(os.Environ(), "HOME="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("newsboat %s: %v\n%s", feed, err, out)
		}
		out, err := exec.Command("sqlite3", cache, "select guid from rss_item where feedurl = '"+feed+"' and title != ''").Output()
		if err != nil {
			t.Fatalf("sqlite3: %v", err)
		}
		if n := len(strings.Fields(string(out))); n != 2 {
			t.Errorf("newsboat stored %d titled items from %s, want 2", n, feed)
		}
	}
}
