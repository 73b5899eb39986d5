package source

import (
	"cmp"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxImageURL bounds an image's URL: longer ones are not a picture's.
const maxImageURL = 2048

// CleanImage returns im with a URL that pages and emails may link to, or
// the zero Image: only an absolute http or https URL with a host, without
// credentials, spaces or control characters, and not naming a host that
// only the reader's own machine or network would answer (localhost, a
// loopback, private or link-local address), since every reader's mail
// client or browser would be made to ask it. bulletin itself never fetches
// an image. The alternative text is cleaned and bounded, a size that
// cannot be is dropped.
func CleanImage(im Image) Image {
	raw := strings.TrimSpace(im.URL)
	if raw == "" || len(raw) > maxImageURL || strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f || unicode.IsSpace(r) }) {
		return Image{}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return Image{}
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || !strings.Contains(host, ".") && !strings.Contains(host, ":") {
		return Image{}
	}
	if a, err := netip.ParseAddr(host); err == nil && (guard{}).check(a) != nil {
		return Image{}
	}
	out := Image{URL: u.String(), Alt: cleanAlt(im.Alt)}
	if im.Width > 0 && im.Height > 0 && im.Width <= 20000 && im.Height <= 20000 {
		out.Width, out.Height = im.Width, im.Height
	}
	return out
}

// cleanAlt is an image's alternative text on one line, at most 300
// characters.
func cleanAlt(s string) string {
	s = strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)), " ")
	if utf8.RuneCountInString(s) > 300 {
		s = strings.TrimSpace(string([]rune(s)[:299])) + "…"
	}
	return s
}

// itemImage is the picture a feed item names: Media RSS content or
// thumbnail, an image enclosure, or the item's image (JSON Feed's image,
// RSS's and Atom's item-level image), resolved against the feed's URL.
func itemImage(it *gofeed.Item, base *url.URL) Image {
	resolve := func(s string) string {
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil || s == "" {
			return ""
		}
		if base != nil {
			u = base.ResolveReference(u)
		}
		return u.String()
	}
	for _, name := range []string{"content", "thumbnail"} {
		for _, e := range it.Extensions["media"][name] {
			if typ, medium := e.Attrs["type"], e.Attrs["medium"]; medium != "" && medium != "image" || typ != "" && !strings.HasPrefix(typ, "image/") {
				continue
			}
			im := Image{URL: resolve(e.Attrs["url"]), Width: atoi(e.Attrs["width"]), Height: atoi(e.Attrs["height"])}
			for _, d := range e.Children["description"] {
				im.Alt = d.Value
			}
			if im = CleanImage(im); im.URL != "" {
				return im
			}
		}
		// media:group holds the same, one level down.
		for _, g := range it.Extensions["media"]["group"] {
			for _, e := range g.Children[name] {
				if medium := e.Attrs["medium"]; medium != "" && medium != "image" {
					continue
				}
				if im := CleanImage(Image{URL: resolve(e.Attrs["url"]), Width: atoi(e.Attrs["width"]), Height: atoi(e.Attrs["height"])}); im.URL != "" {
					return im
				}
			}
		}
	}
	for _, enc := range it.Enclosures {
		if enc != nil && strings.HasPrefix(strings.ToLower(enc.Type), "image/") {
			if im := CleanImage(Image{URL: resolve(enc.URL)}); im.URL != "" {
				return im
			}
		}
	}
	if it.Image != nil {
		return CleanImage(Image{URL: resolve(it.Image.URL), Alt: it.Image.Title})
	}
	return Image{}
}

// pageImage is the picture a page names for itself: its og:image (or
// og:image:secure_url, or twitter:image), with og:image:width, :height and
// :alt when it gives them.
func pageImage(doc *html.Node, base *url.URL) Image {
	meta := map[string]string{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.DataAtom == atom.Meta {
			key := strings.ToLower(cmp.Or(attr(n, "property"), attr(n, "name")))
			if _, seen := meta[key]; !seen && strings.Contains(key, "image") {
				meta[key] = attr(n, "content")
			}
		}
		if n.Type == html.ElementNode && n.DataAtom == atom.Body {
			return // the head's meta elements are the page's own
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	raw := cmp.Or(meta["og:image:secure_url"], meta["og:image"], meta["og:image:url"], meta["twitter:image"])
	if raw == "" {
		return Image{}
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return Image{}
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	return CleanImage(Image{URL: u.String(), Width: atoi(meta["og:image:width"]), Height: atoi(meta["og:image:height"]),
		Alt: cmp.Or(meta["og:image:alt"], meta["twitter:image:alt"])})
}

func atoi(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return 0
	}
	return n
}
