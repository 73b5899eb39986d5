package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// hangingFeed serves a feed of two items, except while hang is set: then
// each request waits until the test ends, and fetched says so.
type hangingFeed struct {
	srv     *httptest.Server
	hang    atomic.Bool
	fetched chan struct{}
	done    chan struct{}
}

func newHangingFeed(t *testing.T) *hangingFeed {
	t.Helper()
	f := &hangingFeed{fetched: make(chan struct{}, 10), done: make(chan struct{})}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.hang.Load() {
			f.fetched <- struct{}{}
			select {
			case <-f.done:
			case <-r.Context().Done():
			}
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://news.example/</link><description>d</description>`+
			`<item><title>The council approved the budget</title><link>https://news.example/budget</link><description>The council approved the new budget on Monday after a long debate. It adds money for schools and roads.</description><pubDate>Mon, 02 Nov 2026 08:00:00 GMT</pubDate></item>`+
			`<item><title>The river was cleaned</title><link>https://news.example/river</link><description>More than 300 volunteers took part in the river clean-up on Saturday. They collected two tonnes of rubbish.</description><pubDate>Tue, 03 Nov 2026 08:00:00 GMT</pubDate></item>`+
			`</channel></rss>`)
	}))
	t.Cleanup(func() { close(f.done); f.srv.Close() })
	return f
}

// startRun starts "bulletin run" in dir, and returns once it is fetching
// the feed, so holding the collect job's lease.
func startRun(t *testing.T, bin, dir string, f *hangingFeed) *exec.Cmd {
	t.Helper()
	f.hang.Store(true)
	cmd := exec.Command(bin, "run")
	cmd.Dir = dir
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	select {
	case <-f.fetched:
	case <-time.After(30 * time.Second):
		t.Fatalf("bulletin run never fetched the feed:\n%s", logs)
	}
	f.hang.Store(false)
	return cmd
}

// TestKilledRunsLeaseIsTakenOver: a run killed (SIGKILL) held the collect
// job's lease for its two minutes, and the next run skipped the collect,
// saying "collected: 0". The lease of a process that has ended on this
// host is taken over at once. A run that finds the job held by a live
// process says that it skipped it, and exits non-zero.
func TestKilledRunsLeaseIsTakenOver(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	feed := newHangingFeed(t)
	writeFile(t, filepath.Join(dir, "config.yaml"), fmt.Sprintf(
		"sources:\n  - name: upstream\n    feed: %s/feed.xml\n    full_text: never\nfetch:\n  allow_networks: [127.0.0.0/8]\n  timeout: 5m\n", feed.srv.URL))
	useDatabase(t, dir)

	killed := startRun(t, bin, dir, feed)
	killed.Process.Kill()
	killed.Wait()

	run := exec.Command(bin, "run")
	run.Dir = dir
	var stdout, stderr syncBuffer
	run.Stdout, run.Stderr = &stdout, &stderr
	err := run.Run()
	if err != nil || !strings.Contains(stdout.String(), "collected: 2 found, 2 new") {
		t.Fatalf("the run after a killed one: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "took over the job's lease from a process that has ended") {
		t.Errorf("the takeover is not logged:\n%s", stderr.String())
	}

	// A live holder keeps its lease, and the run says so.
	live := startRun(t, bin, dir, feed)
	run = exec.Command(bin, "run")
	run.Dir = dir
	var stdout2, stderr2 syncBuffer
	run.Stdout, run.Stderr = &stdout2, &stderr2
	err = run.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitFailed {
		t.Errorf("a run whose collect another live process holds: %v; want exit status %d", err, exitFailed)
	}
	out := stdout2.String()
	if !strings.Contains(out, "collected: nothing: skipped, another process is running it") ||
		!strings.Contains(out, fmt.Sprintf("pid %d", live.Process.Pid)) || strings.Contains(out, "collected: 0") {
		t.Errorf("the run does not say it skipped the collect, and for whom:\n%s\n%s", out, stderr2.String())
	}
}
