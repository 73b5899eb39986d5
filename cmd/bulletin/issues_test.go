package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestIssuesCommands reviews a draft from the command line: list, show,
// each edit, a schedule refused in the past, then one in the future,
// cancelled, and an approval that sends it; every step shows in show and
// in the audit log under the user's name.
func TestIssuesCommands(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.yaml"), "digest:\n  review: true\nschedule:\n  timezone: Europe/Berlin\nsources:\n  - name: local\n    folder: articles\n")
	writeFile(t, filepath.Join(dir, "articles", "one.txt"), goodArticle)
	writeFile(t, filepath.Join(dir, "articles", "two.txt"), "Ferry timetable changes\n\nThe harbour ferry sails every forty minutes from December. "+
		"Two late crossings are cut. Season tickets keep their price.\n")
	writeFile(t, filepath.Join(dir, "articles", "three.txt"), "Choir sings at the town hall\n\nForty pupils sang carols at the town hall on Friday. "+
		"The mayor thanked their teacher. Donations go to the hospital.\n")
	writeFile(t, filepath.Join(dir, "intro.md"), "Good morning, *readers*.\n")
	must := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := runCLI(t, dir, args...)
		if code != 0 {
			t.Fatalf("bulletin %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
		return stdout
	}
	if out := must("run"); !strings.Contains(out, "a draft for review") || !strings.Contains(out, "sent: nothing") {
		t.Fatalf("run with review on:\n%s", out)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml")); len(files) != 0 {
		t.Fatalf("a draft went to %d subscribers", len(files))
	}
	if out := must("issues", "list"); !regexp.MustCompile(`(?m)^1\s+draft\s+built .*\s3\s+Bulletin #1`).MatchString(out) {
		t.Errorf("issues list:\n%s", out)
	}
	show := must("issues", "show", "1")
	ids := regexp.MustCompile(`(?m)^ *\d+\. entry (\d+): `).FindAllStringSubmatch(show, -1)
	if len(ids) != 3 {
		t.Fatalf("issues show lists %d entries:\n%s", len(ids), show)
	}
	first, second, third := ids[0][1], ids[1][1], ids[2][1]

	out := must("issues", "edit", "1", "--subject", "Ferries and carols", "--intro", "intro.md",
		"--entry", second, "--title", "The ferry, retold", "--lead", third, "--move", second, "--to", "3")
	for _, want := range []string{"subject set", "introduction set", "entry " + second + " edited", "entry " + third + " is the lead story", "moved to place 3"} {
		if !strings.Contains(out, want) {
			t.Errorf("issues edit output lacks %q:\n%s", want, out)
		}
	}
	must("issues", "edit", "1", "--drop", first)
	show = must("issues", "show", "1")
	for _, want := range []string{"Subject:  Ferries and carols", "| Good morning, *readers*.", " 1. entry " + third + " [lead]: ",
		" 2. entry " + second + ": The ferry, retold", "(edited; the article's title: ", "cli:", "entry.drop"} {
		if !strings.Contains(show, want) {
			t.Errorf("issues show lacks %q:\n%s", want, show)
		}
	}
	if strings.Contains(show, "entry "+first+":") {
		t.Errorf("the dropped entry is still shown:\n%s", show)
	}
	must("issues", "edit", "1", "--restore", second)
	if show := must("issues", "show", "1"); strings.Contains(show, "retold") {
		t.Errorf("restore left the edited title:\n%s", show)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"issues", "schedule", "1", "2020-01-01 09:00"}, 1, "is past"},
		{[]string{"issues", "schedule", "1", "tomorrow"}, 1, "want a date and a time"},
		{[]string{"issues", "schedule", "1"}, 2, "unexpected arguments"},
		{[]string{"issues", "edit", "1", "--title", "x"}, 2, "need --entry"},
		{[]string{"issues", "edit", "1", "--move", first, "--to", "1"}, 1, "not in issue 1"},
		{[]string{"issues", "cancel", "1"}, 1, "cannot cancel"},
		{[]string{"issues", "show", "9"}, 1, "not found"},
		{[]string{"issues", "frobnicate", "1"}, 2, "unknown issues command"},
		{[]string{"send", "--issue", "1"}, 1, "draft"},
	} {
		code, _, stderr := runCLI(t, dir, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("bulletin %s: exit %d, %q; want %d and %q", strings.Join(tc.args, " "), code, stderr, tc.code, tc.want)
		}
	}
	out = must("issues", "schedule", "1", "2099-12-02 09:00")
	if !strings.Contains(out, "2099-12-02 09:00 CET (+01:00)") {
		t.Errorf("schedule output:\n%s", out)
	}
	if out := must("issues", "list"); !strings.Contains(out, "scheduled  for 2099-12-02 09:00 CET") {
		t.Errorf("list after schedule:\n%s", out)
	}
	code, _, stderr := runCLI(t, dir, "issues", "edit", "1", "--subject", "late change")
	if code != 1 || !strings.Contains(stderr, "is scheduled: cannot edit") {
		t.Errorf("edit a scheduled issue: exit %d, %q", code, stderr)
	}
	must("issues", "cancel", "1")
	if out := must("send", "--issue", "1", "--to", "editor@example.org"); !strings.Contains(out, "test copy sent") {
		t.Errorf("test send: %q", out)
	}
	out = must("issues", "approve", "1")
	if !strings.Contains(out, "issue 1 approved, published and sent: issue 1: 1 sent") {
		t.Errorf("approve:\n%s", out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	if len(files) != 2 { // the test copy, and the one subscriber's
		t.Errorf("outbox holds %d messages, want 2", len(files))
	}
	if _, err := os.Stat(filepath.Join(dir, "public", "issues", "1", "index.html")); err != nil {
		t.Errorf("approved, but no page: %v", err)
	}
	show = must("issues", "show", "1")
	for _, want := range []string{"State:    sent", "issue.schedule", "issue.cancel", "issue.test", "issue.release", "issue.sent"} {
		if !strings.Contains(show, want) {
			t.Errorf("issues show after the send lacks %q:\n%s", want, show)
		}
	}
	// The dropped entry waits in the pool for the next issue.
	if out := must("run"); !strings.Contains(out, "issue: #2 with 1 entry, a draft") {
		t.Errorf("the next run:\n%s", out)
	}
}
