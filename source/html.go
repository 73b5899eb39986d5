package source

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"

	"codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// errNoText is returned when a page has nothing readable in it.
var errNoText = errors.New("no readable text")

// parseHTML extracts the title and readable text of a page. base resolves
// relative links (the page's own URL, or file:// for a local file). The
// article's URL is the page's declared canonical link, if any.
func parseHTML(src []byte, base *url.URL) (Article, error) {
	src = htmlUTF8(src, "")
	doc, err := html.Parse(bytes.NewReader(src))
	if err != nil {
		return Article{}, err
	}
	var a Article
	a.URL = canonicalLink(doc, base)
	a.Image = pageImage(doc, base)

	p := readability.NewParser()
	p.CharThresholds = 200
	ra, err := p.ParseDocument(doc, base)
	if err == nil && ra.Node != nil {
		var out bytes.Buffer
		if err := ra.RenderHTML(&out); err == nil {
			a.Text = htmlToText(&out)
		}
		a.Title = normalizeText(ra.Title())
		a.Author = normalizeText(ra.Byline())
		if t, err := ra.PublishedTime(); err == nil {
			a.Published = t
		}
	}
	if a.Title == "" {
		a.Title = normalizeText(findText(doc, atom.Title))
	}
	// Page titles often append the site's name ("Story | Gazette"); the
	// page's own heading is the story's title when it matches.
	if h1 := normalizeText(findText(doc, atom.H1)); h1 != "" && strings.HasPrefix(a.Title, h1) {
		a.Title = h1
	}
	a.Author = strings.TrimSpace(trimPrefixFold(a.Author, "by "))
	if a.Text == "" {
		// Readability gives up on short pages; their whole body is still
		// better than nothing.
		a.Text = htmlToText(bytes.NewReader(src))
		if a.Title != "" {
			if first, rest := firstLine(a.Text); first == a.Title {
				a.Text = strings.TrimLeft(rest, "\n")
			}
		}
	}
	if a.Text == "" && a.Title == "" {
		return Article{}, errNoText
	}
	return a, nil
}

// canonicalLink returns the page's <link rel="canonical"> or og:url,
// resolved against base; "" when there is none or it is not http(s).
func canonicalLink(doc *html.Node, base *url.URL) string {
	var found string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if found != "" {
			return
		}
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Link:
				if hasToken(attr(n, "rel"), "canonical") {
					found = attr(n, "href")
				}
			case atom.Meta:
				if attr(n, "property") == "og:url" {
					found = attr(n, "content")
				}
			case atom.Body:
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if found == "" {
		return ""
	}
	u, err := url.Parse(strings.TrimSpace(found))
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return ""
	}
	return u.String()
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasToken(list, tok string) bool {
	for f := range strings.FieldsSeq(list) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}

// findText returns the text of the first element of kind a.
func findText(n *html.Node, a atom.Atom) string {
	if n.Type == html.ElementNode && n.DataAtom == a {
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.TextNode {
				b.WriteString(c.Data)
			}
		}
		return b.String()
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if s := findText(c, a); s != "" {
			return s
		}
	}
	return ""
}

func trimPrefixFold(s, prefix string) string {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):]
	}
	return s
}

// htmlUTF8 converts a page to UTF-8 from the charset its Content-Type or
// <meta> names (or that its bytes suggest), as a browser would.
func htmlUTF8(src []byte, contentType string) []byte {
	if contentType == "" && utf8.Valid(src) {
		return src
	}
	enc, name, _ := charset.DetermineEncoding(src, contentType)
	if name == "utf-8" {
		return src
	}
	out, err := enc.NewDecoder().Bytes(src)
	if err != nil {
		return src
	}
	return out
}
