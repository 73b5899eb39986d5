package source

import (
	"context"
	"errors"
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

// A link in the article folder to a file outside it (ln -s /etc/passwd
// x.txt, or to any prose file) was read and its text published. Links that
// leave the folder, directly, through another link or relatively, are not
// followed and are reported; links within it are read.
func TestFolderDoesNotFollowLinksOut(t *testing.T) {
	base := t.TempDir()
	dir, outside := filepath.Join(base, "articles"), filepath.Join(base, "private")
	for _, d := range []string{dir, outside, filepath.Join(dir, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	secret := filepath.Join(outside, "diary.txt")
	os.WriteFile(secret, []byte("Private diary\n\nThe key to the safe is under the third stone."), 0o644)
	os.WriteFile(filepath.Join(dir, "sub", "real.txt"), []byte("Real story\n\nA story that lives in the folder."), 0o644)
	links := map[string]string{
		"passwd.txt":      "/etc/passwd",
		"diary.txt":       secret,
		"relative.md":     "../private/diary.txt",
		"hop.txt":         "sub/hop-out.txt", // a link to a link that leaves
		"sub/hop-out.txt": "../../private/diary.txt",
		"inside.txt":      "sub/real.txt",
		"prefix.txt":      "../articles-not/x.txt", // a sibling whose name starts like the folder's
	}
	os.MkdirAll(filepath.Join(base, "articles-not"), 0o755)
	os.WriteFile(filepath.Join(base, "articles-not", "x.txt"), []byte("Neighbour\n\nNot ours either."), 0o644)
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	res := collectDir(t, dir)
	var got []string
	for _, a := range res.Articles {
		got = append(got, a.Title)
		if strings.Contains(a.Text, "safe") || strings.Contains(a.Text, "root:") || strings.Contains(a.Text, "Not ours") {
			t.Errorf("%s: text from outside the folder: %q", a.Origin, a.Text)
		}
	}
	if strings.Join(got, "|") != "Real story|Real story" {
		t.Errorf("articles %q; want the file in sub/ and the link to it", got)
	}
	if len(res.Problems) != 6 {
		t.Errorf("%d problems, want the 6 links that leave the folder: %v", len(res.Problems), res.Problems)
	}
	for _, p := range res.Problems {
		if !errors.Is(p.Err, errOutside) || !strings.Contains(p.Error(), "outside the folder") {
			t.Errorf("%s: %v", p.Origin, p.Err)
		}
	}
}
