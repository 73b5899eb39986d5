package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bulletin-app/bulletin/internal/storetest"
)

// runCLI runs one command line in dir, on dir's database, and returns its
// exit code and output.
func runCLI(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	useDatabase(t, dir)
	return runIn(t, dir, args...)
}

// runIn runs one command line in dir, on whatever database the config and
// the environment name.
func runIn(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Chdir(dir)
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// databases holds each test folder's database.
var databases sync.Map

// useDatabase points BULLETIN_DATABASE_URL, for this process and those it
// starts, at dir's database on the backend of the run: on SQLite the
// default, bulletin.db in dir's data folder; on PostgreSQL a database of
// dir's own.
func useDatabase(t *testing.T, dir string) {
	t.Helper()
	url, ok := databases.Load(dir)
	if !ok {
		url = storetest.DatabaseURL(t)
		databases.Store(dir, url)
	}
	t.Setenv("BULLETIN_DATABASE_URL", url.(string))
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

const goodArticle = "A good article\n\nThe council approved the new budget on Monday after a long debate. " +
	"It adds money for schools and roads. The mayor said the vote was a relief for parents.\n"

func TestBrokenConfigNamesKeyAndChangesNothing(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.yaml"), "sources:\n  - name: a\n    folder: articles\nnewsletter:\n  smtp:\n    port: \"twenty-five\"\n")
	code, _, stderr := runCLI(t, dir, "run")
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	for _, want := range []string{"config.yaml:6", "newsletter.smtp.port"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not name %q:\n%s", want, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
		t.Errorf("a broken config still created the data folder (err %v)", err)
	}
}

func TestBrokenArticleIsReportedAndTheRestCollected(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.yaml"), "sources:\n  - name: local\n    folder: articles\n")
	writeFile(t, filepath.Join(dir, "articles", "good.txt"), goodArticle)
	writeFile(t, filepath.Join(dir, "articles", "bad-date.md"), "---\ntitle: Bad date\ndate: next Tuesday\n---\nBody text here.\n")
	writeFile(t, filepath.Join(dir, "articles", "bad-yaml.md"), "---\ntitle: [unclosed\n---\nBody.\n")
	code, stdout, stderr := runCLI(t, dir, "run")
	if code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"bad-date.md", "bad-yaml.md"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the skipped file %s is not reported:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "issue: #1 with 1 entry") || !strings.Contains(stdout, "2 skipped") {
		t.Errorf("stdout:\n%s", stdout)
	}
}

func TestInvalidSubscriberIsRefusedAndNothingLost(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.yaml"), "subscribers: []\nsources: []\n")
	if code, _, stderr := runCLI(t, dir, "subscribers", "add", "--confirmed", "ada@example.com"); code != 0 {
		t.Fatalf("add a valid address: exit %d: %s", code, stderr)
	}
	for _, bad := range []string{"not an address", "ada@", "x@example.com\r\nBcc: victim@example.com", `"a b"@example.com`} {
		code, _, stderr := runCLI(t, dir, "subscribers", "add", "--confirmed", bad)
		if code != 1 || !strings.Contains(stderr, "address") {
			t.Errorf("add %q: exit %d, stderr %q; want 1 and a message about the address", bad, code, stderr)
		}
	}
	code, stdout, _ := runCLI(t, dir, "subscribers", "list")
	if code != 0 || !strings.Contains(stdout, "ada@example.com") || strings.Count(stdout, "\n") != 2 {
		t.Errorf("list after refused adds: exit %d\n%s", code, stdout)
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	if code, _, _ := runCLI(t, dir, "frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if code, _, _ := runCLI(t, dir, "run", "--no-such-flag"); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
	code, stdout, _ := runCLI(t, dir, "help")
	if code != 0 || !strings.Contains(stdout, "send") || !strings.Contains(stdout, "serve") {
		t.Errorf("help: exit %d\n%s", code, stdout)
	}
}

func TestSubscribersExportToFileReadsBackOnImport(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.yaml"), "subscribers: []\nsources: []\n")
	runCLI(t, dir, "subscribers", "add", "--confirmed", "--name", "Ada", "ada@example.com")
	csv := filepath.Join(dir, "subs.csv")
	if code, out, stderr := runCLI(t, dir, "subscribers", "export", csv); code != 0 || !strings.Contains(out, "exported 1") {
		t.Fatalf("export: exit %d, %q %q", code, out, stderr)
	}
	other := t.TempDir()
	writeFile(t, filepath.Join(other, "config.yaml"), "subscribers: []\nsources: []\n")
	if code, out, stderr := runCLI(t, other, "subscribers", "import", "--confirmed", csv); code != 0 {
		t.Fatalf("import: exit %d, %q %q", code, out, stderr)
	}
	if _, out, _ := runCLI(t, other, "subscribers", "list", "--status", "confirmed"); !strings.Contains(out, "ada@example.com") || !strings.Contains(out, "Ada") {
		t.Errorf("after import, confirmed subscribers:\n%s", out)
	}
}
