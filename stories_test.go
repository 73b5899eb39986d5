package bulletin

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/internal/testtool"
)

// TestRunLinksTheSeedsAcrossIssues tells the seed story in two issues: the
// 2016 article in the first run, the 2022 one in the next. The second
// issue's entry links back to the first in the email (both parts), on the
// issue's page and in the entries feed, and the story's page and feeds
// list both entries, newest first.
func TestRunLinksTheSeedsAcrossIssues(t *testing.T) {
	seeds := filepath.Join("..", "shared", "seeds")
	files, _ := filepath.Glob(filepath.Join(seeds, "*.txt"))
	if len(files) != 2 {
		testtool.Missing(t, "the two seed articles in ../shared/seeds")
	}
	ctx := context.Background()
	articles := t.TempDir()
	app, dir := newTestApp(t, articles, "")
	put := func(src string) string {
		t.Helper()
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(articles, filepath.Base(src)), b, 0o644); err != nil {
			t.Fatal(err)
		}
		title, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimSpace(title)
	}
	first := put(files[0]) // 000_…: the 2016 Trump Tower meeting
	rep, err := app.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Issue.Number != 1 || len(rep.Issue.Entries) != 1 {
		t.Fatalf("first run: issue #%d with %d entries, want #1 with 1", rep.Issue.Number, len(rep.Issue.Entries))
	}
	sentBefore := map[string]bool{}
	for _, p := range outbox(t, dir) {
		sentBefore[p] = true
	}
	second := put(files[1]) // 004_…: the 2022 Mar-a-Lago visit
	rep, err = app.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Issue.Number != 2 || len(rep.Issue.Entries) != 1 {
		t.Fatalf("second run: issue #%d with %d entries, want #2 with 1", rep.Issue.Number, len(rep.Issue.Entries))
	}
	e := rep.Issue.Entries[0]
	if e.Earlier == nil || e.Earlier.IssueNumber != 1 || e.StoryID == 0 {
		t.Fatalf("the 2022 entry continues %+v (story %d), want issue 1's entry", e.Earlier, e.StoryID)
	}
	site := app.Config.Site.Title
	backLink := fmt.Sprintf("Earlier: %s (%s #1)", first, site)

	// The email of issue 2, as the outbox holds it.
	var mails int
	for _, p := range outbox(t, dir) {
		if sentBefore[p] {
			continue
		}
		mails++
		parts := mailParts(t, p)
		text, html := parts["text/plain"], parts["text/html"]
		if !strings.Contains(strings.Join(strings.Fields(text), " "), backLink) {
			t.Errorf("%s: the text part lacks %q:\n%s", filepath.Base(p), backLink, text)
		}
		if want := fmt.Sprintf(`Earlier: <a href="%sissues/1/#`, app.Config.Site.URL); !strings.Contains(html, want) ||
			!strings.Contains(html, htmlEscape(first)+"</a> ("+htmlEscape(site)+" #1)") {
			t.Errorf("%s: the HTML part lacks the back-link to issue 1:\n%s", filepath.Base(p), html)
		}
	}
	if mails != 2 {
		t.Errorf("issue 2 went to %d subscribers, want 2", mails)
	}

	public := filepath.Join(dir, "public")
	page := readFile(t, filepath.Join(public, "issues", "2", "index.html"))
	if !strings.Contains(page, "Earlier: <a href=") || !strings.Contains(page, htmlEscape(first)+"</a> ("+htmlEscape(site)+" #1)") {
		t.Errorf("issue 2's page lacks the back-link:\n%s", page)
	}
	storyDir := filepath.Join(public, "stories", fmt.Sprint(e.StoryID))
	story := readFile(t, filepath.Join(storyDir, "index.html"))
	i, j := strings.Index(story, htmlEscape(second)), strings.Index(story, htmlEscape(first))
	if i < 0 || j < 0 || i > j {
		t.Errorf("the story's page does not list both entries, newest first (at %d and %d):\n%s", i, j, story)
	}
	checkStoryFeeds(t, public, storyDir, []string{second, first}, backLink)
}

// checkStoryFeeds reads, with Debian's feedparser, the story's Atom and RSS
// feeds (both entries, newest first) and the entries feed (whose newest item
// carries the back-link).
func checkStoryFeeds(t *testing.T, public, storyDir string, titles []string, backLink string) {
	t.Helper()
	python := testtool.NeedPython(t, "feedparser")
	script := `
import feedparser, json, sys
out = []
for path in sys.argv[1:]:
    d = feedparser.parse(path)
    out.append({"bozo": bool(d.bozo), "titles": [e.title for e in d.entries],
                "content": [(e.get("content") or [{}])[0].get("value", "") or e.get("summary", "") for e in d.entries]})
print(json.dumps(out))
`
	paths := []string{filepath.Join(storyDir, "feed.atom"), filepath.Join(storyDir, "feed.rss"),
		filepath.Join(public, "feed.atom"), filepath.Join(public, "feed.rss")}
	out, err := exec.Command(python, append([]string{"-c", script}, paths...)...).Output()
	if err != nil {
		t.Fatalf("feedparser: %v", err)
	}
	var res []struct {
		Bozo            bool
		Titles, Content []string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	for k, r := range res {
		name, _ := filepath.Rel(public, paths[k])
		if r.Bozo || len(r.Titles) != 2 || r.Titles[0] != titles[0] || r.Titles[1] != titles[1] {
			t.Errorf("feedparser %s: bozo=%v titles %q, want %q", name, r.Bozo, r.Titles, titles)
			continue
		}
		if !strings.Contains(r.Content[0], htmlEscape(backLink[:strings.Index(backLink, ":")+1])) || !strings.Contains(r.Content[0], htmlEscape(titles[1])) {
			t.Errorf("feedparser %s: the newest item does not link back: %s", name, r.Content[0])
		}
	}
}

// mailParts decodes the parts of a message by media type.
func mailParts(t *testing.T, path string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var walk func(h interface{ Get(string) string }, body io.Reader)
	walk = func(h interface{ Get(string) string }, body io.Reader) {
		mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(p.Header, p)
			}
		}
		switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, body)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		out[mt] = string(b)
	}
	walk(msg.Header, msg.Body)
	return out
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// htmlEscape escapes as html/template does the text of an element.
func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}
