package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/internal/bouncetest"
)

// TestBouncesProcess: a bounce read by hand (a file, or standard input as
// an MTA pipes it) marks its subscriber bounced, which status and
// subscribers list show; read again it does nothing more; what is no
// report fails unless --unhandled keeps it.
func TestBouncesProcess(t *testing.T) {
	dir := t.TempDir()
	// The fixtures' return path names issue 1 to subscriber 1 and is
	// signed with their secret: this newsletter's first send.
	writeFile(t, filepath.Join(dir, "config.yaml"), "sources:\n  - name: local\n    folder: articles\n"+
		"newsletter:\n  secret: \""+bouncetest.Secret+"\"\n  bounces:\n    domain: "+bouncetest.Domain+"\n"+
		"subscribers:\n  - Example Reader <reader@example.com>\n  - other@example.com\n")
	writeFile(t, filepath.Join(dir, "articles", "one.txt"), goodArticle)
	if code, _, stderr := runCLI(t, dir, "run"); code != 0 {
		t.Fatalf("run: %d %s", code, stderr)
	}
	hard := filepath.Join(bouncetest.Dir(), "rfc3464-hard.eml")
	code, stdout, stderr := runCLI(t, dir, "bounces", "process", hard)
	if code != 0 || !strings.Contains(stdout, "hard bounce on issue #1 to reader@example.com (found by return path) 5.1.1: subscriber bounced") {
		t.Fatalf("process: %d %q %q", code, stdout, stderr)
	}
	if code, stdout, _ := runCLI(t, dir, "bounces", "process", hard); code != 0 || !strings.Contains(stdout, "recorded before") {
		t.Errorf("the same bounce again: %d %q", code, stdout)
	}
	_, stdout, _ = runCLI(t, dir, "subscribers", "list", "--status", "bounced")
	if !regexp.MustCompile(`reader@example\.com\s+Example Reader\s+bounced\s+\S+\s+hard 5\.1\.1, issue #1, `).MatchString(stdout) || strings.Contains(stdout, "other@") {
		t.Errorf("subscribers list --status bounced:\n%s", stdout)
	}
	_, stdout, _ = runCLI(t, dir, "status")
	if !regexp.MustCompile(`AFTER THE SEND\s+1 hard bounce, 0 soft bounces, 0 complaints reported`).MatchString(stdout) ||
		!regexp.MustCompile(`reader@example\.com\s+#1\s+hard\s+5\.1\.1\s+mail\s+`).MatchString(stdout) {
		t.Errorf("status:\n%s", stdout)
	}

	// Standard input: an auto-reply is no report.
	vacation := bouncetest.Read(t, "vacation.eml")
	stdin := func(b []byte) {
		f := filepath.Join(t.TempDir(), "in")
		os.WriteFile(f, b, 0o644)
		in, _ := os.Open(f)
		old := os.Stdin
		os.Stdin = in
		t.Cleanup(func() { os.Stdin = old; in.Close() })
	}
	stdin(vacation)
	if code, _, stderr := runCLI(t, dir, "bounces", "process", "-"); code != 1 || !strings.Contains(stderr, "not a bounce or complaint") {
		t.Errorf("an auto-reply: %d %q", code, stderr)
	}
	keep := filepath.Join(dir, "unhandled")
	stdin(vacation)
	if code, stdout, _ := runCLI(t, dir, "bounces", "process", "--unhandled", keep, "-"); code != 0 || !strings.Contains(stdout, "kept") {
		t.Errorf("an auto-reply, kept: %d %q", code, stdout)
	}
	if files, _ := filepath.Glob(filepath.Join(keep, "*.eml")); len(files) != 1 {
		t.Errorf("kept %d files", len(files))
	} else if b, _ := os.ReadFile(files[0]); string(b) != string(vacation) {
		t.Error("the kept message differs from the one read")
	}

	// A database that cannot be reached: 75, for the MTA to retry.
	t.Setenv("BULLETIN_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none?connect_timeout=1")
	stdin(vacation)
	if code, _, _ := runIn(t, dir, "bounces", "process", "-"); code != exitTempFail {
		t.Errorf("without a database: exit %d, want %d", code, exitTempFail)
	}
}
