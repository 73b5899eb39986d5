package source

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// collectDir reads dir as a folder source, failing the test if it does not
// return within a few seconds (a file that blocks on open would hang it).
func collectDir(t *testing.T, dir string) Result {
	t.Helper()
	type out struct {
		res Result
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, err := Folder{Name: "x", Dir: dir}.Collect(context.Background())
		done <- out{res, err}
	}()
	select {
	case o := <-done:
		if o.err != nil {
			t.Fatalf("Collect: %v", o.err)
		}
		return o.res
	case <-time.After(5 * time.Second):
		t.Fatal("Collect blocked")
	}
	return Result{}
}

func TestFolderSkipsSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.txt"), 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	if err := os.Symlink(filepath.Join(dir, "pipe.txt"), filepath.Join(dir, "link.md")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "real.txt"), []byte("Title\n\nBody."), 0o644)
	if err := os.Symlink(filepath.Join(dir, "real.txt"), filepath.Join(dir, "alias.txt")); err != nil {
		t.Fatal(err)
	}
	res := collectDir(t, dir)
	if len(res.Articles) != 2 {
		t.Errorf("articles: %d, want the file and its symlink", len(res.Articles))
	}
	if len(res.Problems) != 2 {
		t.Errorf("problems: %v, want the pipe and the link to it reported", res.Problems)
	}
	for _, p := range res.Problems {
		if !strings.Contains(p.Err.Error(), "not a regular file") {
			t.Errorf("%s: %v", p.Origin, p.Err)
		}
	}
}

func TestFolderTextEncodings(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("latin1.txt", []byte("Caf\xe9 cr\xe8me\n\nNa\xefve r\xe9sum\xe9 \x96 \x93quoted\x94."))
	write("latin1.md", []byte("---\ntitle: Gr\xfc\xdfe\n---\n\nSch\xf6ne Stra\xdfe."))
	utf16 := []byte{0xff, 0xfe}
	for _, r := range "Caf\u00e9 title\n\nText in UTF-16 \u2014 fine." {
		utf16 = append(utf16, byte(r), byte(r>>8))
	}
	write("utf16.txt", utf16)
	write("binary.txt", []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00>\x00\x01\x00\x00\x00"))
	res := collectDir(t, dir)
	got := map[string]Article{}
	for _, a := range res.Articles {
		got[filepath.Base(a.Origin)] = a
	}
	check := func(file, title, text string) {
		t.Helper()
		a, ok := got[file]
		if !ok {
			t.Errorf("%s: not collected", file)
			return
		}
		if a.Title != title || a.Text != text {
			t.Errorf("%s: title %q text %q\nwant %q, %q", file, a.Title, a.Text, title, text)
		}
	}
	check("latin1.txt", "Café crème", "Naïve résumé – “quoted”.")
	check("latin1.md", "Grüße", "Schöne Straße.")
	check("utf16.txt", "Café title", "Text in UTF-16 — fine.")
	if _, ok := got["binary.txt"]; ok {
		t.Errorf("binary file collected as an article: %q", got["binary.txt"].Text)
	}
	if len(res.Problems) != 1 || filepath.Base(res.Problems[0].Origin) != "binary.txt" {
		t.Errorf("problems: %v, want binary.txt", res.Problems)
	}
}
