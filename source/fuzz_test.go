package source

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

// The parsers meet untrusted input; whatever it is, they must return, not
// panic. Seeds are the fixtures.

func addFixtures(f *testing.F, glob string) {
	files, _ := filepath.Glob(glob)
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

func FuzzParseFeed(f *testing.F) {
	addFixtures(f, "testdata/feeds/*")
	base, _ := url.Parse("https://example.org/feed.xml")
	f.Fuzz(func(t *testing.T, body []byte) {
		parsed, err := parseFeed(&response{body: body, url: base, contentType: "application/xml"}, base.String(), DefaultMaxItems)
		if err != nil {
			return
		}
		(UpstreamFeed{Name: "f", URL: base.String(), FullText: FullTextNever}).articles(t.Context(), parsed, base, fetchTime)
	})
}

func FuzzParseMarkdown(f *testing.F) {
	addFixtures(f, "testdata/folder/*/*/*.md")
	f.Fuzz(func(t *testing.T, src []byte) {
		parseMarkdown(src)
	})
}

func FuzzParseHTML(f *testing.F) {
	addFixtures(f, "testdata/pages/*.html")
	base, _ := url.Parse("https://example.org/a")
	f.Fuzz(func(t *testing.T, src []byte) {
		parseHTML(src, base)
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
