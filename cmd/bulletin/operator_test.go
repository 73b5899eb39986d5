package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/internal/smtptest"
)

// TestExitStatusTellsOfFailedDeliveries: a run whose messages fail exits
// with its own code (3), so that cron alerts; a run with nothing left to
// deliver exits 0.
func TestExitStatusTellsOfFailedDeliveries(t *testing.T) {
	srv := smtptest.Start(t)
	srv.AddFault(smtptest.Fault{Rcpts: []string{"gone@example.com"}, Code: 554, Enhanced: [3]int{5, 7, 1}}) // refused, not bounced
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.yaml"), fmt.Sprintf(`sources:
  - name: local
    folder: articles
subscribers:
  - reader@example.com
  - gone@example.com
newsletter:
  retries: 1
  smtp:
    host: %s
    port: %d
    tls: none
`, srv.Host, srv.Port))
	writeFile(t, filepath.Join(dir, "articles", "one.txt"), goodArticle)
	code, stdout, stderr := runCLI(t, dir, "run")
	if code != exitUndelivered {
		t.Fatalf("run with a failed delivery: exit %d, want %d\n%s\n%s", code, exitUndelivered, stdout, stderr)
	}
	if !strings.Contains(stderr, "1 message failed") || !strings.Contains(stdout, "1 sent, 1 failed") {
		t.Errorf("the failure is not told:\n%s\n%s", stdout, stderr)
	}
	if srv.Count("reader@example.com") != 1 {
		t.Errorf("reader got %d copies", srv.Count("reader@example.com"))
	}
	// Retrying the failed one fails again: 3 again.
	if code, _, stderr := runCLI(t, dir, "send", "--resend-failed"); code != exitUndelivered {
		t.Errorf("send --resend-failed: exit %d, want %d\n%s", code, exitUndelivered, stderr)
	}
	// Nothing left to send: 0.
	if code, stdout, stderr := runCLI(t, dir, "send"); code != 0 {
		t.Errorf("send with nothing to do: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// The scheduler's record says it too.
	if _, stdout, _ := runCLI(t, dir, "status"); !strings.Contains(stdout, "not every message was delivered") {
		t.Errorf("status does not show the failed issue job:\n%s", stdout)
	}
}

func TestBareBulletinIsAUsageError(t *testing.T) {
	code, stdout, stderr := runCLI(t, t.TempDir())
	if code != exitUsage || !strings.Contains(stderr, "usage:") || stdout != "" {
		t.Errorf("bulletin with no command: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestSendSaysOnlyWhatHappened: no "test copy sent" for a copy that was
// not, no "issue 0" summary before an error.
func TestSendSaysOnlyWhatHappened(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.yaml"), "sources:\n  - name: local\n    folder: articles\n")
	writeFile(t, filepath.Join(dir, "articles", "one.txt"), goodArticle)
	code, stdout, stderr := runCLI(t, dir, "send")
	if code != 1 || strings.Contains(stdout, "issue 0") || stdout != "" {
		t.Errorf("send before any issue: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, _, stderr := runCLI(t, dir, "run"); code != 0 {
		t.Fatalf("run: %d %s", code, stderr)
	}
	code, stdout, stderr = runCLI(t, dir, "send", "--to", "notanemail")
	if code != 1 || strings.Contains(stdout, "sent") || !strings.Contains(stderr, "address") {
		t.Errorf("send --to notanemail: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, dir, "send", "--to", "me@example.com")
	if code != 0 || !strings.Contains(stdout, "test copy sent") {
		t.Errorf("send --to me@example.com: exit %d, stdout %q", code, stdout)
	}
}

func TestPreviewIntoANewFolder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.yaml"), "sources:\n  - name: local\n    folder: articles\n")
	writeFile(t, filepath.Join(dir, "articles", "one.txt"), goodArticle)
	if code, _, stderr := runCLI(t, dir, "run"); code != 0 {
		t.Fatalf("run: %d %s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, dir, "preview", "--out", "previews/next/issue.html")
	if code != 0 {
		t.Fatalf("preview into a new folder: exit %d: %s", code, stderr)
	}
	for _, f := range []string{"previews/next/issue.html", "previews/next/issue.txt"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil || !strings.Contains(stdout, f) {
			t.Errorf("%s: %v (stdout %q)", f, err, stdout)
		}
	}
}

// TestManualCollectIsRecorded: status tells of a collect run by hand.
func TestManualCollectIsRecorded(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.yaml"), "sources:\n  - name: local\n    folder: articles\n")
	writeFile(t, filepath.Join(dir, "articles", "one.txt"), goodArticle)
	if code, _, stderr := runCLI(t, dir, "collect"); code != 0 {
		t.Fatalf("collect: %d %s", code, stderr)
	}
	_, stdout, _ := runCLI(t, dir, "status")
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, "collect ") {
			if strings.Contains(l, "never") || !strings.Contains(l, "(manual)") || !strings.Contains(l, "ok") {
				t.Errorf("status after a manual collect: %q", l)
			}
			return
		}
	}
	t.Errorf("no collect line in status:\n%s", stdout)
}
