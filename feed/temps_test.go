package feed

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHelperKilledPublish is the child process of TestKilledPublishLeavesNothing:
// it publishes, says where its first temporary file is, and waits to be
// killed.
func TestHelperKilledPublish(t *testing.T) {
	dir := os.Getenv("BULLETIN_FEED_KILLED_PUBLISH")
	if dir == "" {
		t.Skip("the child process of TestKilledPublishLeavesNothing")
	}
	testHookTempWritten = func(tmp string) {
		os.Stdout.WriteString("TEMP " + tmp + "\n")
		os.Stdout.Sync()
		select {} // until killed
	}
	build(t, testSite("https://bulletin.example/"), loadIssues(t)).WriteDir(dir)
}

// TestKilledPublishLeavesNothing: a publish killed (SIGKILL) while it
// wrote left its .NAME.NNN.tmp file in the public folder for good. The
// next publish removes it, and only bulletin's own temporary names: the
// operator's files and other programs' temporary files stay.
func TestKilledPublishLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "precious")
	os.WriteFile(outside, []byte("keep"), 0o644)
	keep := map[string]string{
		"notes.tmp":              "file",
		".other.123.tmp":         "file", // not a file bulletin writes
		".index.html.abc.tmp":    "file", // not os.CreateTemp's digits
		".index.html.tmp":        "file",
		"index.html.123.tmp":     "file",
		".feed.atom.99.tmp.bak":  "file",
		".feed.rss.77.tmp":       "dir",
		".feed.json.5.tmp":       "link",
		"issues/.index.html.1.t": "file",
	}
	for name, kind := range keep {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		switch kind {
		case "file":
			os.WriteFile(p, []byte("x"), 0o644)
		case "dir":
			os.Mkdir(p, 0o755)
		case "link":
			os.Symlink(outside, p)
		}
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperKilledPublish$")
	cmd.Env = append(os.Environ(), "BULLETIN_FEED_KILLED_PUBLISH="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if tmp, ok := strings.CutPrefix(sc.Text(), "TEMP "); ok {
				lines <- tmp
				return
			}
		}
		close(lines)
	}()
	var tmp string
	select {
	case tmp = <-lines:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatal("the publish never wrote a temporary file")
	}
	cmd.Process.Kill() // SIGKILL: no deferred cleanup runs
	cmd.Wait()
	if fi, err := os.Stat(tmp); err != nil || fi.Size() == 0 {
		t.Fatalf("the killed publish left no temporary file to clean: %v", err)
	}
	if !tempName.MatchString(filepath.Base(tmp)) {
		t.Fatalf("temporary file %s does not have the name removeTemps looks for", tmp)
	}

	set := build(t, testSite("https://bulletin.example/"), loadIssues(t))
	if err := set.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("the killed publish's %s is still there: %v", tmp, err)
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		rel, _ := filepath.Rel(dir, p)
		if _, kept := keep[rel]; !kept && tempName.MatchString(d.Name()) {
			t.Errorf("temporary file %s left", rel)
		}
		return nil
	})
	for name := range keep {
		if _, err := os.Lstat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s, not bulletin's, was removed: %v", name, err)
		}
	}
	if b, _ := os.ReadFile(outside); string(b) != "keep" {
		t.Error("the file a link pointed at changed")
	}
	for _, p := range set.Paths() {
		if _, err := os.Stat(filepath.Join(dir, fileName(p))); err != nil {
			t.Errorf("%s not published: %v", p, err)
		}
	}
}
