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
		feed, err := parseFeed(&response{body: body, url: base, contentType: "application/xml"})
		if err != nil {
			return
		}
		(UpstreamFeed{Name: "f", URL: base.String(), FullText: FullTextNever}).articles(t.Context(), feed, base, fetchTime)
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
