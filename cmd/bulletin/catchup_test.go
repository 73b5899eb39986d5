package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeMakesUpOneMissedRun stops serve before a job's fire time and
// starts it again after: the missed run is made up once, and a further
// restart makes up nothing.
func TestServeMakesUpOneMissedRun(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the next minute; not in -short")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	addr := freeAddr(t)

	now := time.Now().UTC()
	fire := now.Truncate(time.Minute).Add(time.Minute)
	if fire.Sub(now) < 8*time.Second {
		fire = fire.Add(time.Minute) // leave time to start and stop before it
	}
	writeFile(t, filepath.Join(dir, "config.yaml"), fmt.Sprintf(`site:
  url: http://%s/
sources:
  - name: local
    folder: articles
schedule:
  catch_up: 1h
  jobs:
    collect: "CRON_TZ=UTC %d %d * * *"
    issue: ""
`, addr, fire.Minute(), fire.Hour()))
	writeFile(t, filepath.Join(dir, "articles", "one.txt"), goodArticle)

	// Up and down before the fire time: nothing to make up yet. The
	// scheduler starts beside the HTTP server, and only once it has looked
	// at the job does the job count as scheduled from then on.
	cmd, logs := startServe(t, bin, dir, addr)
	waitForLog(t, logs, `"msg":"job scheduled"`)
	stop(t, cmd, logs)
	if n := catchUps(logs.String()); n != 0 {
		t.Fatalf("first start made up %d runs, want 0\n%s", n, logs)
	}
	if time.Now().After(fire) {
		t.Fatalf("the first serve outlived the fire time %v; the test cannot tell a catch-up from a run on time", fire)
	}

	time.Sleep(time.Until(fire.Add(2 * time.Second)))
	cmd, logs = startServe(t, bin, dir, addr)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), `"msg":"job done"`) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	stop(t, cmd, logs)
	if n := catchUps(logs.String()); n != 1 {
		t.Fatalf("start after the fire time made up %d runs, want 1\n%s", n, logs)
	}
	code, out, _ := runCLI(t, dir, "status")
	if code != 0 || !strings.Contains(out, "catch-up") {
		t.Errorf("status does not show the catch-up run:\n%s", out)
	}

	cmd, logs = startServe(t, bin, dir, addr)
	waitForLog(t, logs, `"msg":"job scheduled"`)
	stop(t, cmd, logs)
	if n := catchUps(logs.String()); n != 0 {
		t.Errorf("a further restart made up %d runs, want 0\n%s", n, logs)
	}
}

// waitForLog waits until logs hold want.
func waitForLog(t *testing.T, logs *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(logs.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s in the logs after 20s:\n%s", want, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// catchUps counts the runs of collect that serve logged as made up.
func catchUps(logs string) int {
	n := 0
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, `"msg":"job done"`) && strings.Contains(line, `"job":"collect"`) && strings.Contains(line, `"cause":"catch-up"`) {
			n++
		}
	}
	return n
}
