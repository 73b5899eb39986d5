package source

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The parsers meet untrusted input: whatever it is, they must return, not
// panic, and what they return must keep the promises the rest of bulletin
// relies on. Seeds are the fixtures. .ci/run runs each for a few seconds;
// a failure the fuzzer finds is kept in testdata/fuzz and runs with every
// go test.

func addFixtures(f *testing.F, globs ...string) {
	for _, glob := range globs {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
}

// checkArticle asserts what every collected article must be.
func checkCollected(t *testing.T, a Article) {
	t.Helper()
	if a.Key == "" {
		t.Errorf("article %q has no key", a.Title)
	}
	for name, s := range map[string]string{"title": a.Title, "author": a.Author} {
		if strings.ContainsAny(s, "\n\r\t") || strings.IndexFunc(s, isBidiControl) >= 0 || s != strings.TrimSpace(s) {
			t.Errorf("%s %q is not a clean single line", name, s)
		}
	}
	if a.URL != "" {
		if c, err := CanonicalURL(a.URL); err != nil || c != a.URL {
			t.Errorf("URL %q is not canonical (%q, %v)", a.URL, c, err)
		}
	}
}

// Feed bodies: RSS, Atom and JSON Feed.
func FuzzParseFeed(f *testing.F) {
	addFixtures(f, "testdata/feeds/*")
	f.Add([]byte(rssHead + rssItems(1, 8) + "</channel></rss>"))
	f.Add([]byte(atomHead + atomEntries(1, 8) + "</feed>"))
	f.Add([]byte(jsonHead + jsonItems(1, 8) + "]}"))
	base, _ := url.Parse("https://example.org/feed.xml")
	const maxItems = 5
	f.Fuzz(func(t *testing.T, body []byte) {
		parsed, err := parseFeed(&response{body: body, url: base, contentType: "application/xml"}, base.String(), maxItems)
		if err != nil {
			return
		}
		if n := len(parsed.feed.Items); n > maxItems {
			t.Fatalf("%d items parsed, over the %d asked for", n, maxItems)
		}
		res, _ := (UpstreamFeed{Name: "f", URL: base.String(), FullText: FullTextNever}).articles(t.Context(), parsed, base, fetchTime, "")
		for _, a := range res.Articles {
			checkCollected(t, a)
		}
	})
}

// Whatever the body, the document made of the items kept is itself whole
// and holds just those items: the cut and the closing are right.
func FuzzMapFeed(f *testing.F) {
	addFixtures(f, "testdata/feeds/*")
	f.Add([]byte(rssHead + rssItems(1, 3) + "<item><title>cut"))
	f.Add([]byte(atomHead + atomEntries(1, 2) + "</feed>"))
	f.Add([]byte(jsonHead + jsonItems(1, 3) + `,{"id":`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, isJSON := range []bool{false, true} {
			m, err := mapFeed(body, isJSON)
			if err != nil {
				continue
			}
			var keep []int
			for i := range m.items {
				if i%2 == 0 {
					keep = append(keep, i)
				}
			}
			doc := m.document(keep)
			again, err := mapFeed(doc, isJSON)
			if err != nil || again.broken != nil {
				t.Fatalf("json=%v: the document kept is broken (%v, %v):\n%q\nfrom\n%q", isJSON, err, again, doc, body)
			}
			if len(again.items) != len(keep) {
				t.Fatalf("json=%v: the document kept holds %d items, want %d:\n%q", isJSON, len(again.items), len(keep), doc)
			}
		}
	})
}

// fuzzFolderFile fuzzes the reading of one kind of folder file, from its
// bytes to the article.
func fuzzFolderFile(f *testing.F, name string, globs ...string) {
	addFixtures(f, globs...)
	f.Fuzz(func(t *testing.T, src []byte) {
		a, err := parseFile(name, src)
		if err != nil {
			return
		}
		if a.Title == "" {
			t.Errorf("an article with no title")
		}
		checkCollected(t, a)
	})
}

// Folder files: plain text, Markdown with YAML front matter, HTML.
func FuzzFolderText(f *testing.F) {
	f.Add([]byte("\xff\xfeT\x00i\x00"))
	fuzzFolderFile(f, "/articles/a.txt", "testdata/folder/*.txt", "testdata/folder/*/*.txt", "testdata/folder/*/*/*.txt")
}

func FuzzFolderMarkdown(f *testing.F) {
	f.Add([]byte("---\ntitle: [a, b]\ndate: 2024-13-45\n---\n# Head\n\nText"))
	fuzzFolderFile(f, "/articles/a.md", "testdata/folder/*/*.md", "testdata/folder/*/*/*.md")
}

func FuzzFolderHTML(f *testing.F) {
	fuzzFolderFile(f, "/articles/a.html", "testdata/folder/*/*.htm*", "testdata/pages/*.html")
}

// OPML files, as exported by feed readers.
func FuzzReadOPML(f *testing.F) {
	addFixtures(f, "testdata/opml/*.opml")
	f.Add([]byte(`<opml version="2.0"><body><outline text="a"><outline text="a" xmlUrl="https://x.example/f"/></outline><outline text="a" xmlUrl="https://y.example/f"/></body></opml>`))
	f.Fuzz(func(t *testing.T, src []byte) {
		subs, err := ReadOPML(bytes.NewReader(src))
		if err != nil {
			return
		}
		names := map[string]bool{}
		for _, s := range subs {
			if s.Name == "" || s.URL == "" || names[s.Name] {
				t.Errorf("subscription %+v: empty or repeated name, or no URL", s)
			}
			names[s.Name] = true
			if strings.ContainsAny(s.Name, "\n\r\t") || strings.IndexFunc(s.Name+s.Category, isBidiControl) >= 0 {
				t.Errorf("name %q or category %q is not a clean single line", s.Name, s.Category)
			}
		}
		if err := WriteOPML(&bytes.Buffer{}, "t", subs); err != nil {
			t.Errorf("WriteOPML of what ReadOPML read: %v", err)
		}
	})
}
