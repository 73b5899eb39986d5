package feed

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/storetest"
	"github.com/bulletin-app/bulletin/source"
	"github.com/bulletin-app/bulletin/store"
)

// history is a store that grows an issue at a time, on a clock of its own.
type history struct {
	t   *testing.T
	st  *store.Store
	now time.Time
	n   int // articles so far
}

func newHistory(t *testing.T) *history {
	h := &history{t: t, st: storetest.Open(t), now: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	h.st.SetClock(func() time.Time { return h.now })
	return h
}

func (h *history) tick() { h.now = h.now.Add(time.Hour) }

// article stores a new article and its entry, and returns the entry's id.
func (h *history) article(title string) int64 {
	h.t.Helper()
	ctx := context.Background()
	h.n++
	key := fmt.Sprintf("https://news.example.org/a/%d", h.n)
	a := source.Article{Key: key, URL: key, Title: title, Source: "Wire", Text: title + ". Text.",
		Published: h.now.Add(-time.Duration(h.n%3) * time.Minute)}
	if _, err := h.st.SaveArticle(ctx, a, false); err != nil {
		h.t.Fatal(err)
	}
	h.summarize()
	es, err := h.st.UnissuedEntries(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, e := range es {
		if e.ArticleKey == key {
			return e.ID
		}
	}
	h.t.Fatalf("no entry for %s", key)
	return 0
}

// summarize writes an entry for every article that needs one.
func (h *history) summarize() {
	h.t.Helper()
	ctx := context.Background()
	arts, err := h.st.ArticlesToSummarize(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, a := range arts {
		e := store.Entry{ArticleID: a.ID, ContentHash: a.ContentHash, Summary: []string{"About " + a.Title + "."}, Teaser: a.Title, Method: "test"}
		if err := h.st.SaveEntry(ctx, e); err != nil {
			h.t.Fatal(err)
		}
	}
}

// issue puts every unissued entry into a new issue, released at once.
func (h *history) issue() { h.create(h.st.CreateIssue) }

// draft puts every unissued entry into a new draft, published nowhere.
func (h *history) draft() store.Issue { return h.create(h.st.CreateDraft) }

func (h *history) create(make func(context.Context, func(int) string, []int64) (store.Issue, error)) store.Issue {
	h.t.Helper()
	ctx := context.Background()
	es, err := h.st.UnissuedEntries(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	var ids []int64
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	is, err := make(ctx, func(n int) string { return fmt.Sprintf("Issue %d", n) }, ids)
	if err != nil {
		h.t.Fatal(err)
	}
	return is
}

// readTree returns every file under dir but the publish record.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == stateFile {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	for name, b := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("%s: %s missing", what, name)
		} else if !bytes.Equal(g, b) {
			t.Errorf("%s: %s differs from a full render:\n%s\n---\n%s", what, name, g, b)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: %s is not in a full render", what, name)
		}
	}
}

// TestPublishWritesWhatAFullRenderWould grows a history an issue at a
// time, publishing after each step, with old entries summarized again,
// old articles updated and old stories told again by other outlets on the
// way; after each publish the folder must hold exactly what a full render
// of the same store writes, and an incremental publish must render a few
// documents, not the archive.
func TestPublishWritesWhatAFullRenderWould(t *testing.T) {
	ctx := context.Background()
	h := newHistory(t)
	site := testSite("https://news.example.org/")
	site.Items = 3
	inc := t.TempDir()
	publish := func(dir string, all bool) PublishReport {
		t.Helper()
		rep, err := Publish(ctx, site, h.st, dir, PublishOptions{All: all, Now: h.now})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	check := func(step string) {
		t.Helper()
		full := t.TempDir()
		publish(full, true)
		sameTree(t, step, readTree(t, inc), readTree(t, full))
	}
	first := publish(inc, false)
	if !first.All {
		t.Error("the first publish to an empty folder is not a full one")
	}
	check("empty store")
	var ids []int64
	var published time.Time
	for i := 1; i <= 12; i++ {
		h.tick()
		for j := 0; j < 1+i%3; j++ {
			ids = append(ids, h.article(fmt.Sprintf("Story %d.%d", i, j)))
		}
		if i != 10 {
			h.issue()
		} else {
			// A draft is published nowhere until it is released; its
			// editor makes its last entry the lead story meanwhile.
			d := h.draft()
			if rep := publish(inc, false); rep.Written > 0 {
				t.Errorf("a draft: %d files written", rep.Written)
			}
			check("with a draft")
			lead := d.Entries[len(d.Entries)-1]
			if err := h.st.SetLead(ctx, d.Number, lead.ID, "editor"); err != nil {
				t.Fatal(err)
			}
			h.tick()
			if _, err := h.st.MoveIssue(ctx, d.Number, store.IssueSending, h.now, "editor", store.AuditIssueRelease, ""); err != nil {
				t.Fatal(err)
			}
			publish(inc, false)
			// Its entries take their places in the feed as the issue shows
			// them: the lead story first.
			feed, err := os.ReadFile(filepath.Join(inc, "feed.atom"))
			if err != nil {
				t.Fatal(err)
			}
			if f := parseGofeed(t, feed); len(f.Items) == 0 || f.Items[0].Title != lead.Title {
				t.Errorf("the released draft's lead %q is not the newest item of the entries feed", lead.Title)
			}
		}
		h.tick()
		switch i {
		case 5:
			// An entry of issue 1 is summarized again.
			if err := h.st.SaveEntry(ctx, store.Entry{ArticleID: 1, ContentHash: "x", Summary: []string{"A new summary."}, Teaser: "New", Method: "test"}); err != nil {
				t.Fatal(err)
			}
		case 7:
			// Another outlet tells the story of issue 2's first entry.
			dup := h.article("Story 2.0, retold")
			if err := h.st.MarkDuplicate(ctx, dup, ids[1]); err != nil {
				t.Fatal(err)
			}
		case 9:
			// An article of issue 2 is updated: its title changes.
			key := "https://news.example.org/a/4"
			a := source.Article{Key: key, URL: key, Title: "Story 2.1, corrected", Source: "Wire", Text: "Corrected."}
			if _, err := h.st.SaveArticle(ctx, a, false); err != nil {
				t.Fatal(err)
			}
			h.summarize()
		case 11:
			// Another machine, whose clock runs three seconds behind,
			// summarizes an entry of issue 3 again just after the last
			// publish began: its time is before that publish's.
			h.now, published = published.Add(-3*time.Second), h.now
			if err := h.st.SaveEntry(ctx, store.Entry{ArticleID: 6, ContentHash: "y", Summary: []string{"Summarized elsewhere."}, Teaser: "Else", Method: "test"}); err != nil {
				t.Fatal(err)
			}
			h.now = published
		}
		h.tick()
		published = h.now
		rep := publish(inc, false)
		if rep.All {
			t.Fatalf("issue %d: a full publish, want an incremental one", i)
		}
		// The current feeds and the index, the new issue's page and the
		// one before it, a new archive page or two and the one before
		// each, and the pages of a change: never the whole archive.
		if rep.Rendered > 12 {
			t.Errorf("issue %d: %d documents rendered", i, rep.Rendered)
		}
		check(fmt.Sprintf("after issue %d", i))
	}
	// The same store rendered in memory, as Build does, agrees too.
	issues, err := h.st.Issues(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	set := build(t, site, issues)
	mem := t.TempDir()
	if err := set.WriteDir(mem); err != nil {
		t.Fatal(err)
	}
	sameTree(t, "Build", readTree(t, mem), readTree(t, inc))

	// Nothing changed: the files stay as they are.
	if rep := publish(inc, false); rep.Written != 0 {
		t.Errorf("a publish with nothing new wrote %d files", rep.Written)
	}
	// Other settings change every page: the next publish is a full one.
	site.Title = "Another Title"
	if rep := publish(inc, false); !rep.All {
		t.Error("new site settings did not make a full publish")
	}
}

// TestLiveServesWhatPublishWrites renders each document on demand from the
// store and compares it with the published file: the same bytes, so the
// same ETag, whichever way a reader gets it.
func TestLiveServesWhatPublishWrites(t *testing.T) {
	ctx := context.Background()
	h := newHistory(t)
	site := testSite("https://news.example.org/")
	site.Items = 2
	for i := 1; i <= 5; i++ {
		h.tick()
		h.article(fmt.Sprintf("Story %d", i))
		h.article(fmt.Sprintf("Story %d, more", i))
		h.issue()
	}
	dir := t.TempDir()
	if _, err := Publish(ctx, site, h.st, dir, PublishOptions{All: true, Now: h.now}); err != nil {
		t.Fatal(err)
	}
	live, err := NewLive(site, h.st)
	if err != nil {
		t.Fatal(err)
	}
	live.MaxBytes = 4096 // small: documents leave the cache and come back
	files := readTree(t, dir)
	for round := 0; round < 2; round++ {
		for name, want := range files {
			path := "/" + strings.TrimSuffix(name, "index.html")
			d, err := live.Lookup(ctx, path)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if !bytes.Equal(d.Body, want) {
				t.Errorf("%s: served bytes differ from the published file", path)
			}
		}
	}
	for _, path := range []string{"/issues/6/", "/issues/0/", "/feeds/entries/archive/5.atom", "/feeds/entries/archive/1.xml", "/nothing"} {
		if _, err := live.Lookup(ctx, path); err != ErrNotFound {
			t.Errorf("%s: %v, want ErrNotFound", path, err)
		}
	}
	// A new issue: after Reset, the new documents are there.
	h.tick()
	h.article("Story 6")
	h.issue()
	live.Reset()
	if _, err := live.Lookup(ctx, "/issues/6/"); err != nil {
		t.Errorf("after a new issue and Reset: %v", err)
	}
}
