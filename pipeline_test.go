package bulletin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"

	"github.com/bulletin-app/bulletin/internal/smtptest"
	"github.com/bulletin-app/bulletin/internal/storetest"
	"github.com/bulletin-app/bulletin/internal/testtool"
)

// newTestApp opens an app on a config written into a fresh folder, with the
// given articles folder and the default example subscriber.
func newTestApp(t *testing.T, articles string, extra string) (*App, string) {
	t.Helper()
	dir := t.TempDir()
	abs, err := filepath.Abs(articles)
	if err != nil {
		t.Fatal(err)
	}
	body := "sources:\n  - name: test\n    folder: " + abs + "\n" +
		"subscribers:\n  - Example Reader <reader@example.com>\n  - second@example.org\n" + extra
	cfg, err := LoadConfig(writeConfig(t, dir, body))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database.URL = storetest.DatabaseURL(t)
	app, err := Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	return app, dir
}

func TestRunOnExamplesWritesFeedsPagesAndOutbox(t *testing.T) {
	ctx := context.Background()
	app, dir := newTestApp(t, "examples/articles", "")
	articles, _ := filepath.Glob("examples/articles/*")

	rep, err := app.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Issue.Number != 1 || len(rep.Issue.Entries) != len(articles) {
		t.Fatalf("issue #%d with %d entries; want #1 with %d", rep.Issue.Number, len(rep.Issue.Entries), len(articles))
	}

	public := filepath.Join(dir, "public")
	for _, name := range []string{"feed.atom", "feed.rss", "feed.json"} {
		f, err := os.Open(filepath.Join(public, name))
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := gofeed.NewParser().Parse(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(parsed.Items) != len(articles) {
			t.Errorf("%s: %d items, want %d", name, len(parsed.Items), len(articles))
		}
		for _, it := range parsed.Items {
			if strings.TrimSpace(it.Description+it.Content) == "" || it.GUID == "" {
				t.Errorf("%s: item %q has no summary or id", name, it.Title)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(public, "issues", "1", "index.html")); err != nil {
		t.Errorf("no archive page for issue 1: %v", err)
	}

	checkFeedparser(t, public, len(articles))

	emls := outbox(t, dir)
	if len(emls) != 2 {
		t.Fatalf("outbox holds %d messages, want one per confirmed subscriber (2)", len(emls))
	}
	for _, path := range emls {
		checkMessage(t, path)
	}

	// Nothing new: no issue, nothing sent.
	rep, err = app.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Issue.Number != 0 || rep.Collect.New != 0 {
		t.Errorf("second run built issue %d, collected %d new", rep.Issue.Number, rep.Collect.New)
	}
	if n := len(outbox(t, dir)); n != 2 {
		t.Errorf("second run: outbox holds %d messages, want still 2", n)
	}
}

func outbox(t *testing.T, dir string) []string {
	t.Helper()
	emls, err := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	return emls
}

// checkMessage asserts what every newsletter email must be: text first and
// HTML last in a multipart/alternative, with List-Unsubscribe headers.
func checkMessage(t *testing.T, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkMessageBytes(t, filepath.Base(path), raw, false)
}

// checkMessageBytes checks one message; oneClick asks for RFC 8058's
// List-Unsubscribe-Post, which only an https site can offer.
func checkMessageBytes(t *testing.T, name string, raw []byte, oneClick bool) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if lu := msg.Header.Get("List-Unsubscribe"); !strings.Contains(lu, "<http") {
		t.Errorf("%s: List-Unsubscribe = %q", name, lu)
	}
	if p := msg.Header.Get("List-Unsubscribe-Post"); oneClick && p != "List-Unsubscribe=One-Click" {
		t.Errorf("%s: List-Unsubscribe-Post = %q", name, p)
	}
	var types []string
	var walk func(ct string, body io.Reader)
	walk = func(ct string, body io.Reader) {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatalf("%s: content type %q: %v", name, ct, err)
		}
		if !strings.HasPrefix(mt, "multipart/") {
			types = append(types, mt)
			return
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			walk(p.Header.Get("Content-Type"), p)
		}
	}
	walk(msg.Header.Get("Content-Type"), msg.Body)
	if len(types) < 2 || types[0] != "text/plain" || types[len(types)-1] != "text/html" {
		t.Errorf("%s: parts %v; want text/plain first and text/html last", name, types)
	}
}

func TestRunOnSeedsLeavesCaptionsAndBoilerplateOut(t *testing.T) {
	seeds := filepath.Join("..", "shared", "seeds")
	if _, err := os.Stat(seeds); err != nil {
		testtool.Missing(t, "the seed articles in ../shared/seeds")
	}
	ctx := context.Background()
	app, dir := newTestApp(t, seeds, "")
	rep, err := app.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(seeds, "*.txt"))
	if len(rep.Issue.Entries) != len(files) {
		t.Fatalf("%d entries from %d seed articles", len(rep.Issue.Entries), len(files))
	}
	for _, e := range rep.Issue.Entries {
		if len(e.Summary) < 2 || len(e.Summary) > 3 {
			t.Errorf("%q: %d summary sentences, want 2 or 3", e.Title, len(e.Summary))
		}
		for _, s := range e.Summary {
			low := strings.ToLower(s)
			for _, bad := range []string{"comments below", "scroll down", "moderated", "•"} {
				if strings.Contains(low, bad) {
					t.Errorf("%q: summary keeps boilerplate %q: %s", e.Title, bad, s)
				}
			}
			// A caption reads "Label: what the photo shows" with a short label.
			if label, _, ok := strings.Cut(s, ": "); ok && len(strings.Fields(label)) <= 3 && !strings.ContainsAny(label, "'\"‘’“”") {
				t.Errorf("%q: summary sentence looks like a photo caption: %s", e.Title, s)
			}
		}
	}
	checkFeedparser(t, filepath.Join(dir, "public"), len(files))
}

// checkFeedparser reads the XML feeds with Python's feedparser, as many
// readers do, and checks it saw well-formed feeds with summarized items.
func checkFeedparser(t *testing.T, public string, items int) {
	t.Helper()
	python := testtool.NeedPython(t, "feedparser")
	script := `
import feedparser, json, sys
out = {}
for path in sys.argv[1:]:
    d = feedparser.parse(path)
    out[path] = {"bozo": bool(d.bozo), "version": d.version,
                 "items": [{"id": e.get("id", ""), "summary": e.get("summary", "")} for e in d.entries]}
print(json.dumps(out))
`
	atom, rss := filepath.Join(public, "feed.atom"), filepath.Join(public, "feed.rss")
	out, err := exec.Command(python, "-c", script, atom, rss).Output()
	if err != nil {
		t.Fatalf("feedparser: %v", err)
	}
	var res map[string]struct {
		Bozo    bool
		Version string
		Items   []struct{ ID, Summary string }
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	for path, r := range res {
		if r.Bozo || len(r.Items) != items {
			t.Errorf("feedparser %s: bozo=%v version=%q items=%d, want %d", filepath.Base(path), r.Bozo, r.Version, len(r.Items), items)
		}
		for _, it := range r.Items {
			if it.ID == "" || strings.TrimSpace(it.Summary) == "" {
				t.Errorf("feedparser %s: item %q without id or summary", filepath.Base(path), it.ID)
			}
		}
	}
}

func TestRunDeliversOverSMTPOncePerSubscriber(t *testing.T) {
	ctx := context.Background()
	srv := smtptest.Start(t)
	app, dir := newTestApp(t, "examples/articles", fmt.Sprintf(
		"site:\n  url: https://news.example.org/\nnewsletter:\n  smtp:\n    host: %s\n    port: %d\n    tls: none\n", srv.Host, srv.Port))
	if _, err := app.Run(ctx); err != nil {
		t.Fatal(err)
	}
	counts := srv.Counts()
	if len(counts) != 2 || counts["reader@example.com"] != 1 || counts["second@example.org"] != 1 {
		t.Fatalf("server received %v; want one message for each of the 2 subscribers", counts)
	}
	for _, m := range srv.Messages() {
		checkMessageBytes(t, strings.Join(m.To, ","), m.Data, true)
	}
	if n := len(outbox(t, dir)); n != 0 {
		t.Errorf("with an SMTP host, %d messages went to the outbox", n)
	}
	// Again, with nothing new: the server sees nothing more.
	if _, err := app.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if n := srv.Total(); n != 2 {
		t.Errorf("after a second run the server has %d messages, want 2", n)
	}
}

func TestCopiesOfAStoryMakeOneEntryWithItsOtherReport(t *testing.T) {
	dir := t.TempDir()
	orig, err := os.ReadFile("examples/articles/2026-11-04-tram-line.html")
	if err != nil {
		t.Fatal(err)
	}
	copyOf := strings.Replace(string(orig), "https://news.example.org/2026/11/tram-line-opens", "https://syndicated.example.net/tram", 1)
	copyOf = strings.Replace(copyOf, "| Example News", "| Syndicated Daily", 1)
	for name, body := range map[string]string{"tram.html": string(orig), "tram-copy.html": copyOf} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	app, out := newTestApp(t, dir, "")
	rep, err := app.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Issue.Entries) != 1 || len(rep.Issue.Entries[0].Also) != 1 {
		t.Fatalf("issue: %d entries (want 1), other reports %+v", len(rep.Issue.Entries), rep.Issue.Entries)
	}
	other := rep.Issue.Entries[0].Also[0].URL
	for _, path := range outbox(t, out) {
		raw, _ := os.ReadFile(path)
		if !bytes.Contains(raw, []byte("Also reported")) || !bytes.Contains(raw, []byte(other)) {
			t.Errorf("%s does not link the other report %s", filepath.Base(path), other)
		}
	}
	page, _ := os.ReadFile(filepath.Join(out, "public", "issues", "1", "index.html"))
	if !bytes.Contains(page, []byte(other)) {
		t.Errorf("the issue page does not link the other report %s", other)
	}
}
