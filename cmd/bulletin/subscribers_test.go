package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func outboxFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestRemovedSubscriberIsNotMailedAgain is the reproduction:
// "bulletin run; bulletin subscribers remove reader@example.com; bulletin
// send" re-added the address from config's list and sent issue 1 again.
// Removing unsubscribes and keeps the ledger; forgetting erases and keeps
// a hashed suppression entry; neither lets config's list, an import or an
// operator's add bring the address back without a new opt-in.
func TestRemovedSubscriberIsNotMailedAgain(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.yaml"), "sources:\n  - name: local\n    folder: articles\n"+
		"subscribers:\n  - Example Reader <reader@example.com>\n  - other@example.com\n")
	writeFile(t, filepath.Join(dir, "articles", "one.txt"), goodArticle)
	if code, _, stderr := runCLI(t, dir, "run"); code != 0 {
		t.Fatalf("run: %d %s", code, stderr)
	}
	if n := len(outboxFiles(t, dir)); n != 2 {
		t.Fatalf("%d messages after the run, want 2", n)
	}
	code, stdout, stderr := runCLI(t, dir, "subscribers", "remove", "reader@example.com")
	if code != 0 || !strings.Contains(stdout, "unsubscribed reader@example.com") {
		t.Fatalf("remove: %d %q %q", code, stdout, stderr)
	}
	for _, f := range outboxFiles(t, dir) {
		os.Remove(f)
	}
	if code, stdout, stderr := runCLI(t, dir, "send"); code != 0 || len(outboxFiles(t, dir)) != 0 {
		t.Fatalf("send after remove: exit %d, %d messages\n%s\n%s", code, len(outboxFiles(t, dir)), stdout, stderr)
	}
	_, stdout, _ = runCLI(t, dir, "subscribers", "list")
	if !strings.Contains(stdout, "reader@example.com") || !strings.Contains(stdout, "unsubscribed") {
		t.Errorf("list after remove:\n%s", stdout)
	}
	// The ledger is history: issue 1 still shows both deliveries.
	if _, stdout, _ := runCLI(t, dir, "status"); !strings.Contains(stdout, "2 sent") {
		t.Errorf("status after remove:\n%s", stdout)
	}

	// Forgetting erases the address; config's list does not bring it back.
	if code, stdout, stderr := runCLI(t, dir, "subscribers", "forget", "reader@example.com"); code != 0 || !strings.Contains(stdout, "erased") {
		t.Fatalf("forget: %d %q %q", code, stdout, stderr)
	}
	if code, _, stderr := runCLI(t, dir, "send"); code != 0 || len(outboxFiles(t, dir)) != 0 {
		t.Fatalf("send after forget: exit %d, %d messages: %s", code, len(outboxFiles(t, dir)), stderr)
	}
	_, stdout, _ = runCLI(t, dir, "subscribers", "list")
	if strings.Contains(stdout, "reader@example.com") || strings.Contains(stdout, "Example Reader") {
		t.Errorf("the forgotten address is still listed:\n%s", stdout)
	}
	if _, stdout, _ := runCLI(t, dir, "status"); !strings.Contains(stdout, "2 sent") {
		t.Errorf("forgetting lost the ledger's history:\n%s", stdout)
	}
	// Nor an operator's add, nor an import, without a new opt-in.
	code, _, stderr = runCLI(t, dir, "subscribers", "add", "--confirmed", "reader@example.com")
	if code != 1 || !strings.Contains(stderr, "forget") {
		t.Errorf("add --confirmed of a forgotten address: exit %d, %s", code, stderr)
	}
	writeFile(t, filepath.Join(dir, "subs.csv"), "email\nreader@example.com\nnew@example.com\n")
	code, stdout, stderr = runCLI(t, dir, "subscribers", "import", "--confirmed", "subs.csv")
	if code != 1 || !strings.Contains(stderr, "subs.csv:2:") || !strings.Contains(stdout, "1 added, 0 already known, 1 refused") {
		t.Errorf("import of a forgotten address: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// Signing up again is a new opt-in: it is pending, with a confirmation.
	code, stdout, stderr = runCLI(t, dir, "subscribers", "add", "reader@example.com")
	if code != 0 || !strings.Contains(stdout, "pending") || !strings.Contains(stdout, "confirmation email was sent") {
		t.Errorf("add after forget: exit %d, %q %q", code, stdout, stderr)
	}
}

// TestSubscribersAddSaysWhatIsTrue: adding an address that is confirmed
// already sends nothing, and says so.
func TestSubscribersAddSaysWhatIsTrue(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.yaml"), "subscribers: []\nsources: []\n")
	if code, _, stderr := runCLI(t, dir, "subscribers", "add", "--confirmed", "ada@example.com"); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, _ := runCLI(t, dir, "subscribers", "add", "ada@example.com")
	if code != 0 || strings.Contains(stdout, "was sent") || !strings.Contains(stdout, "subscribed already") {
		t.Errorf("add of a confirmed address: exit %d, %q", code, stdout)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml")); len(files) != 0 {
		t.Errorf("%d messages sent", len(files))
	}
	code, stdout, _ = runCLI(t, dir, "subscribers", "add", "bo@example.com")
	if code != 0 || !strings.Contains(stdout, "bo@example.com is pending until its owner confirms: a confirmation email was sent") {
		t.Errorf("add of a new address: exit %d, %q", code, stdout)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "outbox", "confirm-*.eml")); len(files) != 1 {
		t.Errorf("%d confirmation messages, want 1", len(files))
	}
	code, stdout, _ = runCLI(t, dir, "subscribers", "add", "bo@example.com")
	if code != 0 || strings.Contains(stdout, "was sent") || !strings.Contains(stdout, "no other is sent before") {
		t.Errorf("add again at once: exit %d, %q", code, stdout)
	}
}

// TestImportNeedsConfirmedAndReportsRefusedRows: an import without
// --confirmed is refused (it would store rows nothing ever confirms);
// with it, every refused row is reported with its line and reason, and
// the exit status says some were.
func TestImportNeedsConfirmedAndReportsRefusedRows(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.yaml"), "subscribers: []\nsources: []\n")
	writeFile(t, filepath.Join(dir, "subs.csv"), "email,name,status\nann@example.com,Ann,\nnot an address,,\n\"\"\"a b\"\"@example.com\",,\ncy@example.com,,pending\n")
	code, _, stderr := runCLI(t, dir, "subscribers", "import", "subs.csv")
	if code != 2 || !strings.Contains(stderr, "--confirmed") {
		t.Errorf("import without --confirmed: exit %d, %s", code, stderr)
	}
	if _, stdout, _ := runCLI(t, dir, "subscribers", "list"); strings.Count(stdout, "\n") != 1 {
		t.Errorf("a refused import stored subscribers:\n%s", stdout)
	}
	code, stdout, stderr := runCLI(t, dir, "subscribers", "import", "--confirmed", "subs.csv")
	if code != 1 || !strings.Contains(stdout, "1 added, 0 already known, 3 refused") {
		t.Errorf("import: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"subs.csv:3: ", "subs.csv:4: ", "quoting", "subs.csv:5: ", "pending"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}
