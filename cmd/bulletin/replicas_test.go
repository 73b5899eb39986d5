package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/smtptest"
	"github.com/bulletin-app/bulletin/internal/storetest/testdb"
)

// TestServeReplicasShareOneSchedule runs two bulletin serve replicas, each
// in a folder of its own (its own data_dir, as on two hosts), on one
// PostgreSQL database, with the issue job due at the next minute: it runs
// once in the cluster (one issue, one copy each), and afterwards both
// replicas answer the feed, the page and the subscription pages
// with the same bytes and ETags, and a link signed by one works on the
// other.
func TestServeReplicasShareOneSchedule(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the next minute; not in -short")
	}
	pg := testdb.URL(t, testdb.Postgres)
	t.Setenv("BULLETIN_DATABASE_URL", "")
	bin := buildBinary(t)
	srv := smtptest.Start(t)
	now := time.Now().UTC()
	fire := now.Truncate(time.Minute).Add(time.Minute)
	if fire.Sub(now) < 15*time.Second {
		fire = fire.Add(time.Minute) // leave time to start both before it
	}
	config := fmt.Sprintf(`database:
  url: %s
site:
  url: https://news.example/
sources:
  - name: local
    folder: articles
subscribers:
  - Ada <ada@example.org>
  - bob@example.org
schedule:
  jobs:
    collect: ""
    issue: "CRON_TZ=UTC %d %d * * *"
newsletter:
  smtp:
    host: %s
    port: %d
    tls: none
`, pg, fire.Minute(), fire.Hour(), srv.Host, srv.Port)
	dirs := []string{t.TempDir(), t.TempDir()}
	for _, dir := range dirs {
		writeFile(t, filepath.Join(dir, "config.yaml"), config)
		writeFile(t, filepath.Join(dir, "articles", "one.txt"), goodArticle)
	}
	if code, stdout, stderr := runIn(t, dirs[0], "collect"); code != 0 {
		t.Fatalf("collect: exit %d\n%s\n%s", code, stdout, stderr)
	}

	var addrs []string
	var logs []*syncBuffer
	for _, dir := range dirs {
		addr := freeAddr(t)
		cmd := exec.Command(bin, "serve", "--addr", addr, "--metrics-addr", "off")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "BULLETIN_DATABASE_URL=")
		l := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = l, l
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		addrs, logs = append(addrs, addr), append(logs, l)
	}
	for _, l := range logs {
		waitForLog(t, l, `"msg":"job scheduled"`)
	}
	if time.Now().After(fire) {
		t.Fatalf("the replicas started after the fire time %v", fire)
	}
	// Each replica either runs the fire or skips it.
	settled := func(l string) bool {
		for _, line := range strings.Split(l, "\n") {
			if strings.Contains(line, `"job":"issue"`) && (strings.Contains(line, `"msg":"job done"`) ||
				strings.Contains(line, "skipped") || strings.Contains(line, `"msg":"job failed"`)) {
				return true
			}
		}
		return false
	}
	deadline := fire.Add(45 * time.Second)
	for !settled(logs[0].String()) || !settled(logs[1].String()) {
		if time.Now().After(deadline) {
			t.Fatalf("the issue job did not settle on both replicas by %v\n%s\n----\n%s", deadline, logs[0], logs[1])
		}
		time.Sleep(100 * time.Millisecond)
	}
	runs := 0
	for _, l := range logs {
		runs += strings.Count(l.String(), `"msg":"job done","job":"issue"`)
	}
	if runs != 1 {
		t.Errorf("the issue job ran %d times in the cluster, want once\n%s\n----\n%s", runs, logs[0], logs[1])
	}
	if counts := srv.Counts(); len(counts) != 2 || counts["ada@example.org"] != 1 || counts["bob@example.org"] != 1 {
		t.Errorf("the server received %v; want one copy each for two subscribers", counts)
	}

	// Both replicas serve the publish, the one that did not make it after
	// it looked for changes (every few seconds).
	get := func(addr, path string) (int, string, []byte) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("ETag"), body
	}
	agree := func(path string) {
		t.Helper()
		var code0, code1 int
		var tag0, tag1 string
		var body0, body1 []byte
		for end := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			code0, tag0, body0 = get(addrs[0], path)
			code1, tag1, body1 = get(addrs[1], path)
			if code0 == 200 && code1 == 200 && tag0 == tag1 && bytes.Equal(body0, body1) || time.Now().After(end) {
				break
			}
		}
		if code0 != 200 || code1 != 200 || tag0 != tag1 || !bytes.Equal(body0, body1) {
			t.Errorf("%s: the replicas answer %d %q (%d bytes) and %d %q (%d bytes)", path, code0, tag0, len(body0), code1, tag1, len(body1))
		}
	}
	for _, path := range []string{"/feed.atom", "/feed.json", "/issues/1/", "/subscribe"} {
		agree(path)
	}

	// A link in the mail, whichever replica sent it, works on both.
	msgs := srv.Messages()
	if len(msgs) == 0 {
		t.Fatal("no message kept")
	}
	m, err := mail.ReadMessage(bytes.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	lu := m.Header.Get("List-Unsubscribe")
	i := strings.Index(lu, "https://news.example/unsubscribe?")
	if i < 0 {
		t.Fatalf("List-Unsubscribe: %q", lu)
	}
	path := strings.TrimPrefix(strings.SplitN(lu[i:], ">", 2)[0], "https://news.example")
	agree(path)
	if code, _, body := get(addrs[1], path); code != 200 || !bytes.Contains(body, []byte("example.org")) {
		t.Errorf("unsubscribe link on the second replica: %d\n%s", code, body)
	}
}
