package feed

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/bulletin-app/bulletin/internal/testtool"
	"github.com/bulletin-app/bulletin/source"
	"github.com/bulletin-app/bulletin/store"
)

// storyCounter is the store, counting which stories a publish reads.
type storyCounter struct {
	*store.Store
	mu   sync.Mutex
	read []int64
}

func (c *storyCounter) StoryEntries(ctx context.Context, id int64, limit int) ([]store.Entry, error) {
	c.mu.Lock()
	c.read = append(c.read, id)
	c.mu.Unlock()
	return c.Store.StoryEntries(ctx, id, limit)
}

func (c *storyCounter) take() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Clone(c.read)
	slices.Sort(out)
	c.read = nil
	return slices.Compact(out)
}

// TestStoryPagesAndFeeds tells two stories across four issues: each entry
// that continues one links back to the earlier entry on its issue's page
// and in the entries feed, each story gets a page and feeds listing its
// entries newest first, and a publish renders the page and feeds of the
// stories it adds an entry to, no others, writing what a full render
// writes.
func TestStoryPagesAndFeeds(t *testing.T) {
	ctx := context.Background()
	h := newHistory(t)
	data := &storyCounter{Store: h.st}
	site := testSite("https://news.example.org/")
	dir := t.TempDir()
	publish := func() PublishReport {
		t.Helper()
		h.tick() // a publish begins after the writes before it, as in use
		rep, err := Publish(ctx, site, data, dir, PublishOptions{Now: h.now})
		if err != nil {
			t.Fatal(err)
		}
		full := t.TempDir()
		if _, err := Publish(ctx, site, h.st, full, PublishOptions{All: true, Now: h.now}); err != nil {
			t.Fatal(err)
		}
		sameTree(t, "incremental", readTree(t, dir), readTree(t, full))
		return rep
	}
	link := func(id, earlier int64) {
		t.Helper()
		if err := h.st.LinkEarlier(ctx, id, earlier); err != nil {
			t.Fatal(err)
		}
	}
	tram := h.article("Tram line opens")
	h.article("Bakery wins an award")
	h.issue()
	publish()
	data.take()

	h.tick()
	closes := h.article("Tram line closes for repairs")
	link(closes, tram)
	h.issue()
	publish()
	if got := data.take(); !slices.Equal(got, []int64{tram}) {
		t.Errorf("issue 2: stories read %v, want [%d]", got, tram)
	}
	page := string(mustRead(t, dir, "issues/2/index.html"))
	if !strings.Contains(page, `Earlier: <a href="https://news.example.org/issues/1/#`) || !strings.Contains(page, "Tram line opens</a> (Bulletin Test #1)") {
		t.Errorf("issue 2's page has no back-link:\n%s", page)
	}
	if !strings.Contains(page, `<a href="https://news.example.org/stories/1/">Follow the story</a>`) {
		t.Errorf("issue 2's page has no link to the story's page")
	}
	feed := parseGofeed(t, mustRead(t, dir, "feed.atom"))
	if it := feed.Items[0]; it.Title != "Tram line closes for repairs" || !strings.Contains(it.Content, "Earlier: ") || !strings.Contains(it.Content, "Tram line opens") {
		t.Errorf("entries feed item %q has no back-link: %s", it.Title, it.Content)
	}
	story := string(mustRead(t, dir, "stories/1/index.html"))
	if a, b := strings.Index(story, "Tram line closes for repairs"), strings.Index(story, "<h2>"+`<a href="https://news.example.org/a/1">Tram line opens`); a < 0 || b < 0 || a > b {
		t.Errorf("story page does not list both entries, newest first:\n%s", story)
	}

	h.tick()
	h.article("Library opens late")
	h.issue()
	publish()
	if got := data.take(); len(got) != 0 {
		t.Errorf("issue 3, no story: stories read %v", got)
	}

	h.tick()
	strike := h.article("Tram drivers strike")
	link(strike, closes)
	h.issue()
	publish()
	if got := data.take(); !slices.Equal(got, []int64{tram}) {
		t.Errorf("issue 4: stories read %v, want [%d]", got, tram)
	}
	// The first article's title is corrected: the entries that link back
	// to it show the new one (publish checks against a full render).
	h.tick()
	key := "https://news.example.org/a/1"
	if _, err := h.st.SaveArticle(ctx, source.Article{Key: key, URL: key, Title: "Tram line opens at last", Source: "Wire", Text: "Corrected."}, false); err != nil {
		t.Fatal(err)
	}
	h.summarize()
	publish()
	if got := data.take(); !slices.Equal(got, []int64{tram}) {
		t.Errorf("a corrected title: stories read %v, want [%d]", got, tram)
	}
	if page := string(mustRead(t, dir, "issues/2/index.html")); !strings.Contains(page, "Tram line opens at last</a> (Bulletin Test #1)") {
		t.Errorf("issue 2's page shows the old title of the earlier entry")
	}
	sf := parseGofeed(t, mustRead(t, dir, "stories/1/feed.atom"))
	var titles []string
	for _, it := range sf.Items {
		titles = append(titles, it.Title)
	}
	if want := []string{"Tram drivers strike", "Tram line closes for repairs", "Tram line opens at last"}; !slices.Equal(titles, want) {
		t.Errorf("story feed items %q, want %q", titles, want)
	}
	if sf.Title != "Bulletin Test — Tram drivers strike" {
		t.Errorf("story feed title %q", sf.Title)
	}
	if errs := checkJSONFeed(mustRead(t, dir, "stories/1/feed.json")); len(errs) > 0 {
		t.Errorf("story JSON feed: %v", errs)
	}
	// The server finds them too.
	live, err := NewLive(site, h.st)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/stories/1/", "/stories/1/feed.atom", "/stories/1/feed.rss", "/stories/1/feed.json"} {
		d, err := live.Lookup(ctx, p)
		if err != nil {
			t.Errorf("Live %s: %v", p, err)
			continue
		}
		if want := mustRead(t, dir, strings.TrimPrefix(fileName(p), "/")); string(d.Body) != string(want) {
			t.Errorf("Live %s differs from the published file", p)
		}
	}
	for _, p := range []string{"/stories/2/", "/stories/0/", "/stories/01/", "/stories/1/feed.xml"} {
		if _, err := live.Lookup(ctx, p); err != ErrNotFound {
			t.Errorf("Live %s: %v, want ErrNotFound", p, err)
		}
	}
	checkStoryFeedparser(t, dir, titles)
}

func mustRead(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkStoryFeedparser reads a story's Atom and RSS feeds with Debian's
// feedparser, as readers do.
func checkStoryFeedparser(t *testing.T, dir string, titles []string) {
	t.Helper()
	py := testtool.NeedPython(t, "feedparser")
	script := `
import json, sys, feedparser
out = []
for path in sys.argv[1:]:
    d = feedparser.parse(path)
    out.append({"bozo": bool(d.bozo), "version": d.version, "title": d.feed.get("title", ""),
        "titles": [e.title for e in d.entries], "ids": [e.id for e in d.entries],
        "content": [e.get("summary", "") for e in d.entries]})
print(json.dumps(out))
`
	paths := []string{filepath.Join(dir, "stories", "1", "feed.atom"), filepath.Join(dir, "stories", "1", "feed.rss")}
	out, err := exec.Command(py, append([]string{"-c", script}, paths...)...).Output()
	if err != nil {
		t.Fatalf("feedparser: %v", err)
	}
	var res []struct {
		Bozo                 bool
		Version, Title       string
		Titles, IDs, Content []string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for i, r := range res {
		if r.Bozo || !slices.Equal(r.Titles, titles) || len(slices.Compact(slices.Clone(r.IDs))) != len(titles) {
			t.Errorf("feedparser %s: bozo=%v version=%q titles %q ids %q; want %q", paths[i], r.Bozo, r.Version, r.Titles, r.IDs, titles)
		}
	}
}
