package feed

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/store"
)

// manyIssues makes n issues of two entries each, newest first.
func manyIssues(n int) []store.Issue {
	var out []store.Issue
	for i := n; i >= 1; i-- {
		day := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC).AddDate(0, 0, i)
		is := store.Issue{Number: i, Title: "Issue " + strings.Repeat("I", i%5+1), CreatedAt: day}
		for j := 0; j < 2; j++ {
			key := "https://example.org/" + day.Format("2006-01-02") + "/" + string(rune('a'+j))
			is.Entries = append(is.Entries, store.Entry{ArticleKey: key, URL: key, Title: key, Source: "S",
				Summary: []string{"Sentence."}, CreatedAt: day, UpdatedAt: day, Published: day.Add(-time.Hour)})
		}
		out = append(out, is)
	}
	return out
}

var (
	atomLinkRE = regexp.MustCompile(`<link href="([^"]+)" rel="([^"]+)"`)
	rssLinkRE  = regexp.MustCompile(`<atom:link rel="([^"]+)" href="([^"]+)"`)
)

// archiveLinks returns the rel → path of a document's feed-level links.
func archiveLinks(t *testing.T, b []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range atomLinkRE.FindAllStringSubmatch(string(b), -1) {
		out[m[2]] = strings.TrimPrefix(m[1], "https://news.example.org")
	}
	for _, m := range rssLinkRE.FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = strings.TrimPrefix(m[2], "https://news.example.org")
	}
	return out
}

func TestArchivePagesReachEveryItem(t *testing.T) {
	site := testSite("https://news.example.org/")
	site.Items = 5
	issues := manyIssues(9) // 18 entries: current 5, full pages of 5: 1, 2, 3
	set := build(t, site, issues)
	for _, c := range []struct {
		current string
		total   int
		pages   int
	}{{EntriesAtom, 18, 3}, {EntriesRSS, 18, 3}, {IssuesAtom, 9, 1}, {IssuesRSS, 9, 1}} {
		seen := map[string]bool{}
		path := c.current
		visited := 0
		for path != "" {
			b := body(t, set, path)
			f := parseGofeed(t, b)
			if len(f.Items) != 5 {
				t.Errorf("%s: %d items, want a full page of 5", path, len(f.Items))
			}
			for _, id := range itemIDs(f) {
				seen[id] = true
			}
			links := archiveLinks(t, b)
			if links["self"] != path {
				t.Errorf("%s: self link %q", path, links["self"])
			}
			isArchive := strings.Contains(string(b), "<fh:archive>")
			if isArchive != (path != c.current) {
				t.Errorf("%s: fh:archive marker %v", path, isArchive)
			}
			if path != c.current && links["current"] != c.current {
				t.Errorf("%s: current link %q", path, links["current"])
			}
			next := links["prev-archive"]
			if next != "" {
				if back := archiveLinks(t, body(t, set, next))["next-archive"]; path != c.current && back != path {
					t.Errorf("%s → prev-archive %s, whose next-archive is %q", path, next, back)
				}
			}
			path = next
			visited++
		}
		if len(seen) != c.total || visited != c.pages+1 {
			t.Errorf("%s: %d distinct items over %d documents, want %d over %d", c.current, len(seen), visited, c.total, c.pages+1)
		}
	}

	// JSON Feed has no archives: next_url pages back instead.
	seen := map[string]bool{}
	for path := EntriesJSON; path != ""; {
		var jf struct {
			FeedURL string `json:"feed_url"`
			NextURL string `json:"next_url"`
			Items   []struct{ ID string }
		}
		if err := json.Unmarshal(body(t, set, path), &jf); err != nil {
			t.Fatal(err)
		}
		if jf.FeedURL != "https://news.example.org/feed.json" {
			t.Errorf("%s: feed_url %q", path, jf.FeedURL)
		}
		for _, it := range jf.Items {
			seen[it.ID] = true
		}
		path = strings.TrimPrefix(jf.NextURL, "https://news.example.org")
	}
	if len(seen) != 18 {
		t.Errorf("next_url chain reaches %d items, want 18", len(seen))
	}
}

// A full archive page must not change when newer items arrive, so that
// clients may keep it forever.
func TestArchivePagesStable(t *testing.T) {
	site := testSite("https://news.example.org/")
	site.Items = 5
	before := build(t, site, manyIssues(9))
	after := build(t, site, manyIssues(14))
	var pages []string
	for _, p := range before.Paths() {
		if strings.Contains(p, "/archive/") {
			pages = append(pages, p)
		}
	}
	sort.Strings(pages)
	if len(pages) != 12 { // entries: 3 pages, issues: 1 page; three formats each
		t.Fatalf("archive pages %v", pages)
	}
	for _, p := range pages {
		a, b := body(t, before, p), body(t, after, p)
		// Only a next-archive link may appear, on the page that was newest.
		if withoutNextArchive(a) != withoutNextArchive(b) {
			t.Errorf("%s changed when newer items arrived:\n%s\n%s", p, a, b)
		}
		ia, ib := itemIDs(parseGofeed(t, a)), itemIDs(parseGofeed(t, b))
		if strings.Join(ia, " ") != strings.Join(ib, " ") {
			t.Errorf("%s: items moved: %v → %v", p, ia, ib)
		}
	}
}

func withoutNextArchive(b []byte) string {
	var keep []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.Contains(l, `rel="next-archive"`) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
