package feed

import (
	"encoding/json"
	"github.com/bulletin-app/bulletin/store"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/testtool"
)

// archivedSet has small pages, so that every kind of document exists:
// current feeds with prev-archive links and archive pages in between.
func archivedSet(t testing.TB, base string) *Set {
	site := testSite(base)
	site.Items = 2
	site.Hub = "https://hub.example.com/"
	return build(t, site, withStory(loadIssues(t)))
}

// withStory makes the newest issue's first entry continue the story of
// the oldest issue's first entry, so that a story's page and feeds exist.
func withStory(issues []store.Issue) []store.Issue {
	oldest, newest := &issues[len(issues)-1], &issues[0]
	root, later := &oldest.Entries[0], &newest.Entries[0]
	if root.ID == 0 {
		root.ID = 9001
	}
	root.StoryID, later.StoryID = root.ID, root.ID
	later.Earlier = &store.Earlier{ID: root.ID, Title: root.Title, IssueNumber: oldest.Number, ArticleKey: root.ArticleKey, Summary: root.Summary}
	return issues
}

func docsWithExt(set *Set, ext string) []string {
	var out []string
	for _, p := range set.Paths() {
		if strings.HasSuffix(p, ext) {
			out = append(out, p)
		}
	}
	return out
}

// TestAtomRelaxNG checks every Atom document against RFC 4287's own
// RELAX NG schema (Appendix B), converted with trang and applied by
// xmllint and, where installed, jing (which reports every error, not just
// the first).
func TestAtomRelaxNG(t *testing.T) {
	tools := testtool.Need(t, "trang", "xmllint")
	dir := t.TempDir()
	rng := filepath.Join(dir, "atom.rng")
	if out, err := exec.Command(tools[0], "-I", "rnc", "-O", "rng", "testdata/atom.rnc", rng).CombinedOutput(); err != nil {
		t.Fatalf("trang: %v\n%s", err, out)
	}
	set := archivedSet(t, "https://news.example.org/")
	if err := set.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	atoms := docsWithExt(set, ".atom")
	if len(atoms) < 4 {
		t.Fatalf("only %d Atom documents: %v", len(atoms), atoms)
	}
	files := []string{"-c", "testdata/atom.rnc"}
	for _, p := range atoms {
		file := filepath.Join(dir, fileName(p))
		files = append(files, file)
		if out, err := exec.Command(tools[1], "--noout", "--relaxng", rng, file).CombinedOutput(); err != nil {
			t.Errorf("xmllint %s: %v\n%s", p, err, out)
		}
	}
	if jing, err := exec.LookPath("jing"); err == nil {
		if out, err := exec.Command(jing, files...).CombinedOutput(); err != nil {
			t.Errorf("jing: %v\n%s", err, out)
		}
	}
	// The validator must be able to fail: a feed without its id is invalid.
	bad := filepath.Join(dir, "bad.atom")
	b, _ := os.ReadFile(filepath.Join(dir, "feed.atom"))
	os.WriteFile(bad, []byte(strings.Replace(string(b), "<id>tag:news.example.org,2026:feed:entries</id>", "", 1)), 0o644)
	if err := exec.Command(tools[1], "--noout", "--relaxng", rng, bad).Run(); err == nil {
		t.Error("xmllint accepted a feed without atom:id")
	}
}

// checkJSONFeed checks a document against the required parts of JSON Feed
// 1.1 (https://www.jsonfeed.org/version/1.1/) and the types of the
// optional ones bulletin writes.
func checkJSONFeed(b []byte) []string {
	var errs []string
	bad := func(f string, a ...any) { errs = append(errs, sprintf(f, a...)) }
	var f map[string]any
	if err := json.Unmarshal(b, &f); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	if f["version"] != "https://jsonfeed.org/version/1.1" {
		bad("version %v", f["version"])
	}
	if s, ok := f["title"].(string); !ok || s == "" {
		bad("title missing")
	}
	for _, k := range []string{"home_page_url", "feed_url", "next_url", "icon", "favicon"} {
		if v, ok := f[k]; ok && !absURL(v) {
			bad("%s %v is not an absolute URL", k, v)
		}
	}
	if v, ok := f["language"]; ok {
		if s, _ := v.(string); s == "" {
			bad("language %v", v)
		}
	}
	checkAuthors := func(where string, v any) {
		if v == nil {
			return
		}
		list, ok := v.([]any)
		if !ok {
			bad("%s authors is not an array", where)
			return
		}
		for _, a := range list {
			m, ok := a.(map[string]any)
			if !ok || (m["name"] == nil && m["url"] == nil && m["avatar"] == nil) {
				bad("%s author %v has none of name, url, avatar", where, a)
			}
		}
	}
	checkAuthors("feed", f["authors"])
	if hubs, ok := f["hubs"].([]any); ok {
		for _, h := range hubs {
			m, _ := h.(map[string]any)
			if s, _ := m["type"].(string); s == "" || !absURL(m["url"]) {
				bad("hub %v", h)
			}
		}
	}
	items, ok := f["items"].([]any)
	if !ok {
		bad("items missing or not an array")
	}
	ids := map[string]bool{}
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			bad("item %d is not an object", i)
			continue
		}
		id, _ := m["id"].(string)
		if id == "" {
			bad("item %d: id missing or not a string", i)
		}
		if ids[id] {
			bad("item %d: id %q repeated", i, id)
		}
		ids[id] = true
		html, hasHTML := m["content_html"].(string)
		text, hasText := m["content_text"].(string)
		if (!hasHTML || html == "") && (!hasText || text == "") {
			bad("item %s: neither content_html nor content_text", id)
		}
		for _, k := range []string{"url", "external_url", "image"} {
			if v, ok := m[k]; ok && !absURL(v) {
				bad("item %s: %s %v", id, k, v)
			}
		}
		for _, k := range []string{"date_published", "date_modified"} {
			if v, ok := m[k]; ok {
				s, _ := v.(string)
				if _, err := time.Parse(time.RFC3339, s); err != nil {
					bad("item %s: %s %v is not RFC 3339", id, k, v)
				}
			}
		}
		if v, ok := m["tags"]; ok {
			tags, ok := v.([]any)
			for _, tag := range tags {
				if _, s := tag.(string); !s {
					ok = false
				}
			}
			if !ok {
				bad("item %s: tags %v", id, v)
			}
		}
		checkAuthors("item "+id, m["authors"])
	}
	return errs
}

func absURL(v any) bool {
	s, _ := v.(string)
	u, err := url.Parse(s)
	return err == nil && u.IsAbs() && u.Host != ""
}

func TestJSONFeedSpec(t *testing.T) {
	set := archivedSet(t, "https://news.example.org/")
	jsons := docsWithExt(set, ".json")
	if len(jsons) < 4 {
		t.Fatalf("only %d JSON documents", len(jsons))
	}
	for _, p := range jsons {
		for _, e := range checkJSONFeed(body(t, set, p)) {
			t.Errorf("%s: %s", p, e)
		}
	}
	// The checker must be able to fail.
	for _, broken := range []string{
		`{"version":"https://jsonfeed.org/version/1","title":"x","items":[]}`,
		`{"version":"https://jsonfeed.org/version/1.1","title":"x"}`,
		`{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[{"id":"a"}]}`,
		`{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[{"id":1,"content_text":"t"}]}`,
		`{"version":"https://jsonfeed.org/version/1.1","title":"x","feed_url":"/feed.json","items":[]}`,
	} {
		if len(checkJSONFeed([]byte(broken))) == 0 {
			t.Errorf("checker accepted %s", broken)
		}
	}
}

// feedparserScript prints, for each file given, what feedparser saw.
const feedparserScript = `
import json, sys, feedparser
out = []
for path in sys.argv[1:]:
    d = feedparser.parse(path)
    out.append({"bozo": bool(d.bozo), "exc": str(d.get("bozo_exception", "")), "version": d.version,
        "id": d.feed.get("id", ""), "title": d.feed.get("title", ""),
        "links": sorted(l.get("rel", "") for l in d.feed.get("links", [])),
        "ids": [e.get("id", "") for e in d.entries],
        "titles": [e.get("title", "") for e in d.entries]})
print(json.dumps(out))
`

type feedparserResult struct {
	Bozo    bool
	Exc     string
	Version string
	ID      string
	Title   string
	Links   []string
	IDs     []string
	Titles  []string
}

func TestFeedparserAndGofeedAgree(t *testing.T) {
	py := testtool.NeedPython(t, "feedparser")
	dir := t.TempDir()
	set := archivedSet(t, "https://news.example.org/")
	if err := set.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	paths := append(docsWithExt(set, ".atom"), docsWithExt(set, ".rss")...)
	sort.Strings(paths)
	args := []string{"-c", feedparserScript}
	for _, p := range paths {
		args = append(args, filepath.Join(dir, fileName(p)))
	}
	out, err := exec.Command(py, args...).Output()
	if err != nil {
		t.Fatalf("feedparser: %v", err)
	}
	var results []feedparserResult
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for i, p := range paths {
		r := results[i]
		if r.Bozo {
			t.Errorf("%s: feedparser bozo: %s", p, r.Exc)
		}
		g := parseGofeed(t, body(t, set, p))
		if strings.Join(r.IDs, " ") != strings.Join(itemIDs(g), " ") || len(r.IDs) == 0 {
			t.Errorf("%s: feedparser ids %v, gofeed %v", p, r.IDs, itemIDs(g))
		}
		for j, title := range r.Titles {
			if title != g.Items[j].Title {
				t.Errorf("%s: feedparser title %q, gofeed %q", p, title, g.Items[j].Title)
			}
		}
		if !contains(r.Links, "self") {
			t.Errorf("%s: feedparser sees no self link: %v", p, r.Links)
		}
		if strings.HasSuffix(p, ".atom") && r.Version != "atom10" || strings.HasSuffix(p, ".rss") && r.Version != "rss20" {
			t.Errorf("%s: feedparser version %q", p, r.Version)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
