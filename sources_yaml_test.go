package bulletin

import (
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/source"
)

func TestWriteSourcesYAMLReadsBackAsConfig(t *testing.T) {
	cfg, err := LoadConfig(writeConfig(t, t.TempDir(), "sources:\n  - name: news\n    feed: https://example.org/feed.xml\n"))
	if err != nil {
		t.Fatal(err)
	}
	subs := []source.Subscription{
		{Name: "news", URL: "https://EXAMPLE.org/feed.xml?utm_source=reader"}, // the same feed: left out
		{Name: "news", URL: "https://other.example.org/rss", FullText: "always"},
		{Name: "Blog", URL: "https://blog.example.net/atom.xml"},
	}
	var b strings.Builder
	if err := WriteSourcesYAML(&b, cfg, subs); err != nil {
		t.Fatal(err)
	}
	// Pasted under the existing sources, the result must load as they are.
	pasted := "sources:\n  - name: news\n    feed: https://example.org/feed.xml\n" + strings.TrimPrefix(b.String(), "sources:\n")
	got, err := LoadConfig(writeConfig(t, t.TempDir(), pasted))
	if err != nil {
		t.Fatalf("%v\n%s", err, pasted)
	}
	if len(got.Sources) != 3 || got.Sources[1].Name != "news (2)" || got.Sources[1].FullText != "always" || got.Sources[2].Feed != "https://blog.example.net/atom.xml" {
		t.Errorf("sources = %+v", got.Sources)
	}
}
