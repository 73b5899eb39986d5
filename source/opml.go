package source

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/html/charset"
)

// Subscription is one feed as listed in an OPML file: what a feed source's
// configuration needs to be created from it.
type Subscription struct {
	// Name is the outline's text (else title, else the feed URL), made
	// unique within the file since sources are told apart by name.
	Name string
	// URL is the feed's address (xmlUrl).
	URL string
	// SiteURL is the site's home page (htmlUrl), if given.
	SiteURL string
	// Category is the title of the enclosing outline(s), joined by "/".
	Category string
	// FullText is the UpstreamFeed.FullText mode, kept in a fullText
	// attribute so that an export read back gives the same sources. Other
	// readers ignore it, as OPML 2.0 allows.
	FullText string
}

type opmlDoc struct {
	XMLName xml.Name    `xml:"opml"`
	Version string      `xml:"version,attr"`
	Title   string      `xml:"head>title,omitempty"`
	Created string      `xml:"head>dateCreated,omitempty"`
	Body    []opmlEntry `xml:"body>outline"`
}

type opmlEntry struct {
	Text     string      `xml:"text,attr"`
	Title    string      `xml:"title,attr,omitempty"`
	Type     string      `xml:"type,attr,omitempty"`
	XMLURL   string      `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string      `xml:"htmlUrl,attr,omitempty"`
	FullText string      `xml:"fullText,attr,omitempty"`
	Children []opmlEntry `xml:"outline"`
}

// maxOPMLDepth bounds outline nesting, against files built to exhaust the
// stack.
const maxOPMLDepth = 32

// ReadOPML reads the feeds listed in an OPML 1.0 or 2.0 file, in document
// order, from any depth of nested outlines. An outline with an xmlUrl is a
// feed; one without is a category for those inside it. A feed listed twice
// (by canonical URL) is kept once.
func ReadOPML(r io.Reader) ([]Subscription, error) {
	dec := xml.NewDecoder(r)
	dec.CharsetReader = charset.NewReaderLabel
	var doc opmlDoc
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("read opml: %w", err)
	}
	var out []Subscription
	seenURL, seenName := map[string]bool{}, map[string]int{}
	var walk func(entries []opmlEntry, category string, depth int) error
	walk = func(entries []opmlEntry, category string, depth int) error {
		if depth > maxOPMLDepth {
			return errors.New("read opml: outlines nested too deep")
		}
		for _, e := range entries {
			label := singleLine(e.Text)
			if label == "" {
				label = singleLine(e.Title)
			}
			feedURL := strings.TrimSpace(e.XMLURL)
			if feedURL == "" {
				sub := category
				if label != "" {
					sub = strings.Trim(category+"/"+label, "/")
				}
				if err := walk(e.Children, sub, depth+1); err != nil {
					return err
				}
				continue
			}
			key := feedURL
			if c, err := CanonicalURL(feedURL); err == nil {
				key = c
			}
			if seenURL[key] {
				continue
			}
			seenURL[key] = true
			name := label
			if name == "" {
				name = singleLine(feedURL)
			}
			if name == "" { // a URL of control characters alone
				name = "feed " + strconv.Itoa(len(out)+1)
			}
			if n := seenName[name]; n > 0 {
				// The numbered name may be taken too, by an outline
				// that carries it as its own text.
				base := name
				for ; seenName[name] > 0; n++ {
					name = base + " (" + strconv.Itoa(n+1) + ")"
				}
				seenName[base] = n
			}
			seenName[name]++
			out = append(out, Subscription{
				Name: name, URL: feedURL, SiteURL: strings.TrimSpace(e.HTMLURL),
				Category: category, FullText: strings.TrimSpace(e.FullText),
			})
		}
		return nil
	}
	if err := walk(doc.Body, "", 0); err != nil {
		return nil, err
	}
	return out, nil
}

// WriteOPML writes subs as an OPML 2.0 file titled title, grouping feeds
// under one outline per category (in order of first appearance).
func WriteOPML(w io.Writer, title string, subs []Subscription) error {
	doc := opmlDoc{Version: "2.0", Title: title, Created: time.Now().UTC().Format(time.RFC1123Z)}
	groups := map[string]int{} // category -> index in doc.Body
	for _, s := range subs {
		e := opmlEntry{Text: s.Name, Title: s.Name, Type: "rss", XMLURL: s.URL, HTMLURL: s.SiteURL, FullText: s.FullText}
		if s.FullText == FullTextAuto {
			e.FullText = "" // the default needs no saying
		}
		if s.Category == "" {
			doc.Body = append(doc.Body, e)
			continue
		}
		i, ok := groups[s.Category]
		if !ok {
			i = len(doc.Body)
			groups[s.Category] = i
			doc.Body = append(doc.Body, opmlEntry{Text: s.Category, Title: s.Category})
		}
		doc.Body[i].Children = append(doc.Body[i].Children, e)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write opml: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
