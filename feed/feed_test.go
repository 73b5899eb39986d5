package feed

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/bulletin-app/bulletin/store"
)

func loadIssues(t testing.TB) []store.Issue {
	t.Helper()
	b, err := os.ReadFile("testdata/issues.json")
	if err != nil {
		t.Fatal(err)
	}
	var issues []store.Issue
	if err := json.Unmarshal(b, &issues); err != nil {
		t.Fatal(err)
	}
	return issues
}

func testSite(url string) Site {
	return Site{
		Title:       "Bulletin Test",
		Description: "A digest for tests",
		URL:         url,
		Language:    "en",
		Author:      Person{Name: "Editor", Email: "editor@example.org"},
		Icon:        "favicon.png",
		Logo:        "/logo.png",
		Log:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func build(t testing.TB, site Site, issues []store.Issue) *Set {
	t.Helper()
	set, err := Build(site, issues)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func body(t testing.TB, set *Set, path string) []byte {
	t.Helper()
	d, ok := set.Document(path)
	if !ok {
		t.Fatalf("no document %s; have %v", path, set.Paths())
	}
	return d.Body
}

var allFeeds = []string{EntriesAtom, EntriesRSS, EntriesJSON, IssuesAtom, IssuesRSS, IssuesJSON}

func parseGofeed(t testing.TB, b []byte) *gofeed.Feed {
	t.Helper()
	f, err := gofeed.NewParser().Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gofeed: %v\n%s", err, b)
	}
	return f
}

func itemIDs(f *gofeed.Feed) []string {
	var ids []string
	for _, it := range f.Items {
		ids = append(ids, it.GUID)
	}
	return ids
}

func TestBuildFormatsAgree(t *testing.T) {
	set := build(t, testSite("https://news.example.org/"), loadIssues(t))
	for _, pair := range [][3]string{{EntriesAtom, EntriesRSS, EntriesJSON}, {IssuesAtom, IssuesRSS, IssuesJSON}} {
		var want []string
		for i, p := range pair {
			f := parseGofeed(t, body(t, set, p))
			ids := itemIDs(f)
			if i == 0 {
				want = ids
				if len(ids) == 0 {
					t.Fatalf("%s: no items", p)
				}
				continue
			}
			if strings.Join(ids, " ") != strings.Join(want, " ") {
				t.Errorf("%s ids %v, %s has %v", p, ids, pair[0], want)
			}
		}
	}
	entries := parseGofeed(t, body(t, set, EntriesAtom))
	// Four entries in issue 3, one without a key: 3 + 2 + 1.
	if len(entries.Items) != 6 {
		t.Errorf("entries feed has %d items, want 6 (the keyless entry skipped)", len(entries.Items))
	}
	issues := parseGofeed(t, body(t, set, IssuesAtom))
	if len(issues.Items) != 3 || issues.Items[0].Link != "https://news.example.org/issues/3/" {
		t.Errorf("issues feed: %d items, first link %q", len(issues.Items), issues.Items[0].Link)
	}
}

func TestIDsStable(t *testing.T) {
	issues := loadIssues(t)
	a := build(t, testSite("https://news.example.org/"), issues)
	// A rebuilt database: new row ids, new titles, same article keys.
	rebuilt := loadIssues(t)
	for i := range rebuilt {
		for j := range rebuilt[i].Entries {
			rebuilt[i].Entries[j].ID += 1000
			rebuilt[i].Entries[j].ArticleID += 1000
			rebuilt[i].Entries[j].Title += " (edited)"
		}
	}
	b := build(t, testSite("http://news.example.org:8080/other/"), rebuilt)
	for _, p := range allFeeds {
		ia, ib := itemIDs(parseGofeed(t, body(t, a, p))), itemIDs(parseGofeed(t, body(t, b, p)))
		if strings.Join(ia, " ") != strings.Join(ib, " ") {
			t.Errorf("%s: ids changed across rebuilds:\n%v\n%v", p, ia, ib)
		}
		for _, id := range ia {
			if !strings.HasPrefix(id, "tag:news.example.org,2026:") {
				t.Errorf("%s: id %q is not a tag URI of the site", p, id)
			}
		}
	}
	// A different site must not share ids.
	c := build(t, testSite("https://other.example.org/"), issues)
	if itemIDs(parseGofeed(t, body(t, c, EntriesAtom)))[0] == itemIDs(parseGofeed(t, body(t, a, EntriesAtom)))[0] {
		t.Error("two sites give an entry the same id")
	}
}

func TestRenderDeterministic(t *testing.T) {
	site := testSite("https://news.example.org/")
	a, b := build(t, site, loadIssues(t)), build(t, site, loadIssues(t))
	if strings.Join(a.Paths(), " ") != strings.Join(b.Paths(), " ") {
		t.Fatal("paths differ")
	}
	for _, p := range a.Paths() {
		if !bytes.Equal(body(t, a, p), body(t, b, p)) {
			t.Errorf("%s differs between two renders of the same data", p)
		}
	}
}

func TestUpdatedFollowsContent(t *testing.T) {
	site := testSite("https://news.example.org/")
	issues := loadIssues(t)
	before := parseGofeed(t, body(t, build(t, site, issues), EntriesAtom))
	if got := before.UpdatedParsed.UTC(); !got.Equal(time.Date(2026, 3, 9, 7, 30, 0, 0, time.UTC)) {
		t.Errorf("feed updated %v, want the newest entry's update", got)
	}
	issues[1].Entries[0].Summary = []string{"A new summary."}
	issues[1].Entries[0].UpdatedAt = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	after := parseGofeed(t, body(t, build(t, site, issues), EntriesAtom))
	if !after.UpdatedParsed.Equal(issues[1].Entries[0].UpdatedAt) {
		t.Errorf("feed updated %v after an entry changed", after.UpdatedParsed)
	}
	for i, it := range after.Items {
		changed := it.GUID == before.Items[i].GUID && !it.UpdatedParsed.Equal(*before.Items[i].UpdatedParsed)
		if changed != (it.Title == "Go 1.26 is released") {
			t.Errorf("item %q: updated %v → %v", it.Title, before.Items[i].UpdatedParsed, it.UpdatedParsed)
		}
	}
}

func TestSanitized(t *testing.T) {
	set := build(t, testSite("https://news.example.org/"), loadIssues(t))
	for _, p := range append(allFeeds, "/", "/issues/3/") {
		b := string(body(t, set, p))
		low := strings.ToLower(b)
		for _, bad := range []string{"<script", "&lt;script", "javascript:", "onerror", "onclick", "alert(", "\x01", "\x08", "\x0b"} {
			if strings.Contains(low, bad) {
				t.Errorf("%s contains %q", p, bad)
			}
		}
		for _, good := range []string{"🎉👩‍👩‍👧", "مرحبا بالعالم", "that keeps going that keeps going"} {
			if !strings.Contains(b, good) && p != "/" { // the index lists issues, not entries
				t.Errorf("%s lost %q", p, good)
			}
		}
	}
	f := parseGofeed(t, body(t, set, EntriesRSS))
	var found bool
	for _, it := range f.Items {
		if strings.Contains(it.Content, "And a CDATA end ]]&gt; in the middle.") || strings.Contains(it.Content, "And a CDATA end ]]> in the middle.") {
			found = true
		}
		if strings.HasPrefix(it.Title, "A very long title") && !strings.HasSuffix(it.Title, "and ends here") {
			t.Errorf("long title cut: %q", it.Title)
		}
	}
	if !found {
		t.Error("]]> inside content did not survive RSS content:encoded")
	}
}

func TestFeedMetadata(t *testing.T) {
	site := testSite("https://news.example.org/")
	site.Hub = "https://hub.example.com/"
	set := build(t, site, loadIssues(t))
	atom := string(body(t, set, EntriesAtom))
	for _, want := range []string{
		`xml:lang="en"`,
		`<id>tag:news.example.org,2026:feed:entries</id>`,
		`<link href="https://news.example.org/feed.atom" rel="self" type="application/atom+xml">`,
		`<link href="https://news.example.org/" rel="alternate" type="text/html">`,
		`<link href="https://hub.example.com/" rel="hub">`,
		`<icon>https://news.example.org/favicon.png</icon>`,
		`<logo>https://news.example.org/logo.png</logo>`,
		`<published>2026-02-28T17:00:00Z</published>`,
		`<category term="The Go Blog">`,
		`<name>Editor</name>`,
	} {
		if !strings.Contains(atom, want) {
			t.Errorf("atom lacks %s", want)
		}
	}
	rss := string(body(t, set, EntriesRSS))
	for _, want := range []string{
		`<atom:link rel="self" href="https://news.example.org/feed.rss" type="application/rss+xml">`,
		`<atom:link rel="hub" href="https://hub.example.com/">`,
		`<language>en</language>`,
		`<guid isPermaLink="false">tag:news.example.org,2026:entry:`,
		`<category>The Go Blog</category>`,
		`<dc:creator>The Go Team</dc:creator>`,
	} {
		if !strings.Contains(rss, want) {
			t.Errorf("rss lacks %s", want)
		}
	}
	var jf struct {
		FeedURL  string `json:"feed_url"`
		Language string `json:"language"`
		Icon     string `json:"icon"`
		Hubs     []struct{ Type, URL string }
	}
	if err := json.Unmarshal(body(t, set, EntriesJSON), &jf); err != nil {
		t.Fatal(err)
	}
	if jf.FeedURL != "https://news.example.org/feed.json" || jf.Language != "en" || jf.Icon == "" || len(jf.Hubs) != 1 {
		t.Errorf("json feed metadata: %+v", jf)
	}
	// Well-formed XML everywhere.
	for _, p := range []string{EntriesAtom, EntriesRSS, IssuesAtom, IssuesRSS} {
		dec := xml.NewDecoder(bytes.NewReader(body(t, set, p)))
		for {
			if _, err := dec.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
		}
	}
}

func TestWriteDir(t *testing.T) {
	set := build(t, testSite("https://news.example.org/"), loadIssues(t))
	dir := t.TempDir()
	if err := set.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	for _, p := range set.Paths() {
		name := filepath.Join(dir, fileName(p))
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := set.Document(p)
		if !bytes.Equal(b, d.Body) {
			t.Errorf("%s differs from the document", name)
		}
		fi, _ := os.Stat(name)
		if !fi.ModTime().Equal(d.Modified) {
			t.Errorf("%s mtime %v, want %v", name, fi.ModTime(), d.Modified)
		}
	}
	for _, want := range []string{"feed.atom", "feed.rss", "feed.json", "issues.atom", "index.html", "issues/3/index.html"} {
		if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
			t.Error(err)
		}
	}
	// No temporary files left behind, and a second write succeeds.
	if err := set.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if strings.HasSuffix(p, ".tmp") {
			t.Errorf("left behind: %s", p)
		}
		return nil
	})
}

func TestBuildErrors(t *testing.T) {
	for _, u := range []string{"", "news.example.org", "ftp://x/", "javascript:alert(1)"} {
		if _, err := Build(testSite(u), nil); err == nil {
			t.Errorf("site URL %q accepted", u)
		}
	}
	set := build(t, testSite("https://news.example.org/"), nil)
	if !bytes.Contains(body(t, set, EntriesJSON), []byte(`"items": []`)) {
		t.Errorf("empty JSON feed lacks items:\n%s", body(t, set, EntriesJSON))
	}
	parseGofeed(t, body(t, set, EntriesAtom))
}

func sprintf(f string, a ...any) string { return fmt.Sprintf(f, a...) }

func TestOtherReportsShowBesideTheEntry(t *testing.T) {
	issues := loadIssues(t)
	e := &issues[0].Entries[0]
	e.Also = []store.Link{
		{Title: "Same story", URL: "https://other.example.net/story", Source: "Other News"},
		{Title: "Bad", URL: "javascript:alert(42)", Source: "Unsafe Other Report"},
	}
	set := build(t, testSite("https://news.example.org/"), issues)
	for _, path := range []string{issuePath(issues[0].Number), EntriesAtom} {
		doc, ok := set.Document(path)
		if !ok {
			t.Fatalf("no document %s", path)
		}
		body := string(doc.Body)
		if !strings.Contains(body, "https://other.example.net/story") || !strings.Contains(body, "Other News") {
			t.Errorf("%s does not show the other report", path)
		}
		if strings.Contains(body, "alert(42)") || strings.Contains(body, "Unsafe Other Report") {
			t.Errorf("%s shows an unsafe link", path)
		}
	}
}

// 55,000 copies of one item merged into one entry were each linked from
// the issue page and the feed item; now the first few are, and the rest
// counted.
func TestOtherReportsAreBounded(t *testing.T) {
	issues := loadIssues(t)
	e := &issues[0].Entries[0]
	for i := range 55000 {
		e.Also = append(e.Also, store.Link{Title: "Copy", URL: sprintf("https://copy.example/%d", i), Source: sprintf("Copy %d", i)})
	}
	set := build(t, testSite("https://news.example.org/"), issues)
	for _, path := range []string{issuePath(issues[0].Number), EntriesAtom, EntriesRSS, EntriesJSON, IssuesAtom} {
		doc, ok := set.Document(path)
		if !ok {
			t.Fatalf("no document %s", path)
		}
		body := string(doc.Body)
		if got := strings.Count(body, "https://copy.example/"); got != maxAlso {
			t.Errorf("%s links %d other reports, want %d", path, got, maxAlso)
		}
		if !strings.Contains(body, sprintf("and %d more", 55000-maxAlso)) {
			t.Errorf("%s does not count the other reports left out", path)
		}
	}
}
