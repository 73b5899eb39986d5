package source

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestReadOPML(t *testing.T) {
	f, err := os.Open("testdata/opml/reader-export.opml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ReadOPML(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []Subscription{
		{Name: "Riverside Chronicle", URL: "https://riverside-chronicle.example/feed.xml", SiteURL: "https://riverside-chronicle.example/", Category: "Local"},
		{Name: "Café du Nord", URL: "https://cafedunord.example/prolog.xml", SiteURL: "https://cafedunord.example/", Category: "Local"},
		{Name: "Field Notes", URL: "https://fieldnotes.example/atom.xml", SiteURL: "https://fieldnotes.example/", Category: "Tech/Blogs", FullText: "never"},
		{Name: "The Kitchen Table", URL: "https://kitchentable.example/feed.json"},
		{Name: "Field Notes (2)", URL: "https://fieldnotes.example/links.xml"},
		{Name: "https://untitled.example/rss", URL: "https://untitled.example/rss"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("ReadOPML:\n got %+v\nwant %+v", got, want)
	}
}

func TestOPMLRoundTrip(t *testing.T) {
	subs := []Subscription{
		{Name: "Riverside Chronicle", URL: "https://riverside-chronicle.example/feed.xml", SiteURL: "https://riverside-chronicle.example/", Category: "Local"},
		{Name: "Café du Nord & Co <Paris>", URL: "https://cafedunord.example/feed?a=1&b=2", Category: "Local"},
		{Name: "Field Notes", URL: "https://fieldnotes.example/atom.xml", Category: "Tech/Blogs", FullText: FullTextAlways},
		{Name: "The Kitchen Table", URL: "https://kitchentable.example/feed.json", FullText: FullTextNever},
	}
	var buf bytes.Buffer
	if err := WriteOPML(&buf, "bulletin sources", subs); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, s := range []string{`<?xml version="1.0" encoding="UTF-8"?>`, `<opml version="2.0">`, "<title>bulletin sources</title>", "<dateCreated>", `&amp;b=2`, `type="rss"`} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	back, err := ReadOPML(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back, subs) {
		t.Errorf("round trip:\n got %+v\nwant %+v\n%s", back, subs, out)
	}
}

func TestReadOPMLErrors(t *testing.T) {
	latin1 := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><opml version=\"2.0\"><body><outline text=\"Caf\xe9\" xmlUrl=\"https://x.example/f\"/></body></opml>"
	got, err := ReadOPML(strings.NewReader(latin1))
	if err != nil || len(got) != 1 || got[0].Name != "Café" {
		t.Errorf("latin-1 opml: %+v, %v", got, err)
	}
	deep := "<opml><body>" + strings.Repeat("<outline text=\"x\">", 100) + strings.Repeat("</outline>", 100) + "</body></opml>"
	for name, in := range map[string]string{
		"not xml":   "this is not xml",
		"truncated": `<opml version="2.0"><body><outline text="a" xmlUrl="https://a.example/"`,
		"other xml": `<rss version="2.0"><channel/></rss>`,
		"too deep":  deep,
	} {
		if _, err := ReadOPML(strings.NewReader(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestReadOPMLNamesUnique(t *testing.T) {
	const doc = `<opml version="2.0"><body>
<outline text="News" xmlUrl="https://a.example/feed"/>
<outline text="News" xmlUrl="https://b.example/feed"/>
<outline text="News (2)" xmlUrl="https://c.example/feed"/>
<outline text="News" xmlUrl="https://d.example/feed"/>
</body></opml>`
	got, err := ReadOPML(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, s := range got {
		if prev, ok := seen[s.Name]; ok {
			t.Errorf("name %q given to %s and %s", s.Name, prev, s.URL)
		}
		seen[s.Name] = s.URL
	}
	if len(got) != 4 {
		t.Errorf("%d subscriptions, want 4", len(got))
	}
}
