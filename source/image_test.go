package source

import (
	"net/url"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
)

func TestCleanImage(t *testing.T) {
	for in, want := range map[string]string{
		"https://cdn.example.org/a.jpg":                     "https://cdn.example.org/a.jpg",
		" http://example.org/a.png?w=800 ":                  "http://example.org/a.png?w=800",
		"https://93.184.216.34/a.jpg":                       "https://93.184.216.34/a.jpg",
		"javascript:alert(1)":                               "",
		"data:image/png;base64,iVBORw0KGgo=":                "",
		"//example.org/a.jpg":                               "",
		"/a.jpg":                                            "",
		"ftp://example.org/a.jpg":                           "",
		"https://user:pw@example.org/a.jpg":                 "",
		"https://localhost/a.jpg":                           "",
		"https://127.0.0.1/a.jpg":                           "",
		"http://169.254.169.254/latest/a.png":               "",
		"http://192.168.1.1/a.png":                          "",
		"http://[::1]/a.png":                                "",
		"http://[fd00::1]/a.png":                            "",
		"http://intranet/a.png":                             "",
		"https://example.org/a b.jpg":                       "",
		"https://example.org/a\n.jpg":                       "",
		"https://example.org/\"onerror=x.jpg":               "https://example.org/%22onerror=x.jpg",
		"https://example.org/" + string(make([]byte, 3000)): "",
	} {
		if got := CleanImage(Image{URL: in}).URL; got != want {
			t.Errorf("CleanImage(%q) = %q, want %q", in, got, want)
		}
	}
	im := CleanImage(Image{URL: "https://example.org/a.jpg", Width: -1, Height: 5, Alt: " A\ttree\x00 "})
	if im.Width != 0 || im.Height != 0 || im.Alt != "A tree" {
		t.Errorf("size and alt: %+v", im)
	}
}

// TestImagesFromFeedsPagesAndFiles reads the picture each kind of source
// names: Media RSS, an RSS image enclosure, JSON Feed's image, a page's
// og:image, a Markdown file's front matter; resolved, sized, cleaned.
func TestImagesFromFeedsPagesAndFiles(t *testing.T) {
	base, _ := url.Parse("https://news.example.org/feed.xml")
	rss := `<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>T</title>
<item><title>Media</title><link>https://news.example.org/a</link>
  <media:content url="/img/a.jpg" medium="image" width="1200" height="675"><media:description>A bridge at dusk</media:description></media:content></item>
<item><title>Enclosure</title><link>https://news.example.org/b</link><enclosure url="https://cdn.example.org/b.png" type="image/png" length="1"/></item>
<item><title>Audio</title><link>https://news.example.org/c</link><enclosure url="https://cdn.example.org/c.mp3" type="audio/mpeg" length="1"/></item>
<item><title>Internal</title><link>https://news.example.org/d</link><media:content url="http://169.254.169.254/latest/meta-data" medium="image"/></item>
</channel></rss>`
	feed, err := gofeed.NewParser().ParseString(rss)
	if err != nil {
		t.Fatal(err)
	}
	want := []Image{
		{URL: "https://news.example.org/img/a.jpg", Width: 1200, Height: 675, Alt: "A bridge at dusk"},
		{URL: "https://cdn.example.org/b.png"}, {}, {},
	}
	for i, it := range feed.Items {
		if got := itemImage(it, base); got != want[i] {
			t.Errorf("%s: %+v, want %+v", it.Title, got, want[i])
		}
	}
	jf, err := gofeed.NewParser().ParseString(`{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","url":"https://news.example.org/j","title":"J","content_text":"x","image":"https://cdn.example.org/j.webp"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := itemImage(jf.Items[0], base); got.URL != "https://cdn.example.org/j.webp" {
		t.Errorf("JSON Feed image: %+v", got)
	}

	page := `<!DOCTYPE html><html><head><title>P</title>
<meta property="og:image" content="/social/p.jpg"><meta property="og:image:width" content="800">
<meta property="og:image:height" content="418"><meta property="og:image:alt" content="The mayor">
</head><body><h1>P</h1><p>` + strings.Repeat("Words of the story. ", 30) + `</p></body></html>`
	a, err := parseHTML([]byte(page), base)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Image{URL: "https://news.example.org/social/p.jpg", Width: 800, Height: 418, Alt: "The mayor"}); a.Image != want {
		t.Errorf("og:image: %+v, want %+v", a.Image, want)
	}
	md, err := parseMarkdown([]byte("---\ntitle: M\nimage: https://cdn.example.org/m.jpg\nimage_alt: A loaf\nimage_width: 640\nimage_height: 480\n---\nText.\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Image{URL: "https://cdn.example.org/m.jpg", Width: 640, Height: 480, Alt: "A loaf"}); md.Image != want {
		t.Errorf("front matter image: %+v, want %+v", md.Image, want)
	}
	if md, _ := parseMarkdown([]byte("---\ntitle: M\nimage: javascript:alert(1)\n---\nText.\n")); md.Image.URL != "" {
		t.Errorf("a javascript: image was kept: %+v", md.Image)
	}
}
