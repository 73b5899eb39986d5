package source

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSingleLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Plain title", "Plain title"},
		{"  two\nlines\r\n here ", "two lines here"},
		{"invoice\u202Egpj.exe", "invoicegpj.exe"},
		{"\u202Bembedded\u202C \u202Aleft\u202C \u202Doverride\u202C", "embedded left override"},
		{"\u2066isolate\u2069 \u2067rtl\u2069 \u2068first strong\u2069", "isolate rtl first strong"},
		{"marks\u200E\u200F\u061C", "marks"},
		{"שלום עולם", "שלום עולם"}, // right-to-left text itself stays
		{"tab\tand\x00nul\u00a0nbsp", "tab andnul nbsp"},
		{"caf\xe9", "caf\uFFFD"},
	}
	for _, tt := range tests {
		if got := singleLine(tt.in); got != tt.want {
			t.Errorf("singleLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// hasBidi reports whether s holds a direction control.
func hasBidi(s string) bool { return strings.IndexFunc(s, isBidiControl) >= 0 }

// A right-to-left override in a feed item's title or author, or in a
// folder file's title, front matter or name, reaches no article.
func TestBidiControlsLeaveTitles(t *testing.T) {
	feed := rssHead + "<item><title>Council \u202Eetov\u202C results</title><link>https://example.org/a</link>" +
		"<author>x@example.org (Ann \u2067Lee\u2069)</author><description>Some text.</description></item>" +
		"<item><link>https://example.org/b</link><description>\u202EFirst line\nrest</description></item></channel></rss>"
	p, err := parseBody(t, feed, 100)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := (UpstreamFeed{Name: "f", URL: "https://example.org/feed", FullText: FullTextNever}).articles(context.Background(), p, nil, fetchTime, "")
	if len(res.Articles) != 2 {
		t.Fatalf("%d articles", len(res.Articles))
	}
	for _, a := range res.Articles {
		if hasBidi(a.Title) || hasBidi(a.Author) {
			t.Errorf("article %q by %q keeps a direction control", a.Title, a.Author)
		}
	}
	if res.Articles[0].Title != "Council etov results" {
		t.Errorf("title %q", res.Articles[0].Title)
	}

	dir := t.TempDir()
	files := map[string]string{
		"a.txt":               "Headline \u202Ereversed\n\nBody text.",
		"b.md":                "---\ntitle: \"Front \u202Bmatter\u202C\"\nauthor: \"\u202EBob\"\n---\nBody text.\n",
		"c.html":              "<html><head><title>Page \u2066title\u2069</title></head><body><p>Body text.</p></body></html>",
		"name\u202Edm.gpj.md": "Only a body, no heading, so the file name is the title.",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := Folder{Name: "local", Dir: dir}.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Articles) != 4 {
		t.Fatalf("%d articles, problems %v", len(r.Articles), r.Problems)
	}
	var got []string
	for _, a := range r.Articles {
		if hasBidi(a.Title) || hasBidi(a.Author) {
			t.Errorf("%s: title %q, author %q keep a direction control", a.Origin, a.Title, a.Author)
		}
		got = append(got, a.Title+" / "+a.Author)
	}
	slices.Sort(got)
	if want := "Front matter / Bob|Headline reversed / |Page title / |namedm.gpj / "; strings.Join(got, "|") != want {
		t.Errorf("titles / authors %q, want %q", strings.Join(got, "|"), want)
	}

	subs, err := ReadOPML(strings.NewReader(`<opml version="2.0"><body><outline text="Tech &#x202E;sweN"><outline text="Feed &#x202E;one" xmlUrl="https://example.org/1.xml"/></outline></body></opml>`))
	if err != nil || len(subs) != 1 {
		t.Fatalf("opml: %v, %v", subs, err)
	}
	if hasBidi(subs[0].Name) || hasBidi(subs[0].Category) {
		t.Errorf("opml: name %q, category %q keep a direction control", subs[0].Name, subs[0].Category)
	}
}
