package feed

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"html"
	"time"

	"github.com/gorilla/feeds"
)

const (
	nsHistory = "http://purl.org/syndication/history/1.0" // RFC 5005
	nsAtom    = "http://www.w3.org/2005/Atom"
	nsDC      = "http://purl.org/dc/elements/1.1/"
	nsContent = "http://purl.org/rss/1.0/modules/content/"
)

// gorillaFeed maps a document onto the library's generic feed; the format
// writers below then fill what the library leaves out.
func (b *builder) gorillaFeed(d doc) *feeds.Feed {
	f := &feeds.Feed{
		Title:       d.stream.title,
		Link:        &feeds.Link{Href: b.site.URL, Rel: "alternate", Type: "text/html"},
		Description: b.site.Description,
		Updated:     d.updated,
	}
	if b.site.Author.Name != "" || b.site.Author.Email != "" {
		f.Author = &feeds.Author{Name: b.site.Author.Name, Email: b.site.Author.Email}
	}
	for _, it := range d.items {
		gi := &feeds.Item{
			Id:          it.id,
			IsPermaLink: "false",
			Title:       it.title,
			Link:        &feeds.Link{Href: it.link},
			Description: it.summary,
			Content:     it.contentHTML,
			Created:     it.published.UTC().Truncate(time.Second),
			Updated:     it.updated.UTC().Truncate(time.Second),
		}
		if it.author != "" {
			gi.Author = &feeds.Author{Name: it.author}
		}
		f.Items = append(f.Items, gi)
	}
	return f
}

// links are the rel links every format carries, as (rel, href) pairs.
func (b *builder) links(d doc, f format) [][2]string {
	l := [][2]string{{"self", b.abs(d.path(f))}}
	if b.site.Hub != "" && d.page == 0 {
		l = append(l, [2]string{"hub", b.site.Hub})
	}
	if d.page != 0 {
		l = append(l, [2]string{"current", b.abs(d.stream.current[f])})
	}
	if k := d.older(); k > 0 {
		l = append(l, [2]string{"prev-archive", b.abs(d.stream.archivePath(k, f))})
	}
	if k := d.newer(); k > 0 {
		l = append(l, [2]string{"next-archive", b.abs(d.stream.archivePath(k, f))})
	}
	return l
}

type atomFeed struct {
	*feeds.AtomFeed
	Lang       string `xml:"xml:lang,attr,omitempty"`
	HistoryNS  string `xml:"xmlns:fh,attr,omitempty"`
	Links      []feeds.AtomLink
	Categories []atomCategory `xml:"category"`
	Archive    *struct{}      `xml:"fh:archive"`
	Entries    []*atomEntry   `xml:"entry"` // after the feed's metadata, as RFC 4287 wants
}

func (a *atomFeed) FeedXml() any { return a }

type atomEntry struct {
	*feeds.AtomEntry
	Categories []atomCategory `xml:"category"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

func (b *builder) atom(d doc) ([]byte, error) {
	af := (&feeds.Atom{Feed: b.gorillaFeed(d)}).AtomFeed()
	af.Id = d.stream.id // the library uses the link; ours must not move with the site
	af.Icon, af.Logo = b.site.Icon, b.site.Logo
	if af.Author != nil {
		af.Author.Uri = b.site.Author.URL
	}
	out := &atomFeed{AtomFeed: af, Lang: b.site.Language}
	af.Link.Type = "text/html"
	for _, l := range b.links(d, atomFormat) {
		t := atomFormat.mediaType()
		if l[0] == "hub" {
			t = ""
		}
		out.Links = append(out.Links, feeds.AtomLink{Rel: l[0], Href: l[1], Type: t})
	}
	if d.page != 0 {
		out.HistoryNS, out.Archive = nsHistory, &struct{}{}
	}
	for i, e := range af.Entries {
		it := d.items[i]
		e.Summary = nil
		if it.summary != "" {
			e.Summary = &feeds.AtomSummary{Content: it.summary, Type: "text"}
		}
		e.Published = it.published.UTC().Truncate(time.Second).Format(time.RFC3339)
		e.Updated = it.updated.UTC().Truncate(time.Second).Format(time.RFC3339)
		ae := &atomEntry{AtomEntry: e}
		for _, c := range it.categories {
			ae.Categories = append(ae.Categories, atomCategory{Term: c})
		}
		out.Entries = append(out.Entries, ae)
	}
	af.Entries = nil
	return writeXML(out)
}

func (f format) mediaType() string {
	return [...]string{"application/atom+xml", "application/rss+xml", "application/feed+json"}[f]
}

type rssRoot struct {
	XMLName   xml.Name `xml:"rss"`
	Version   string   `xml:"version,attr"`
	ContentNS string   `xml:"xmlns:content,attr"`
	AtomNS    string   `xml:"xmlns:atom,attr"`
	DCNS      string   `xml:"xmlns:dc,attr"`
	HistoryNS string   `xml:"xmlns:fh,attr,omitempty"`
	Channel   *rssChannel
}

func (r *rssRoot) FeedXml() any { return r }

type rssChannel struct {
	*feeds.RssFeed
	AtomLinks []rssAtomLink `xml:"atom:link"`
	Archive   *struct{}     `xml:"fh:archive"`
	Items     []*rssItem    `xml:"item"`
}

type rssAtomLink struct {
	Rel  string `xml:"rel,attr"`
	Href string `xml:"href,attr"`
	Type string `xml:"type,attr,omitempty"`
}

type rssItem struct {
	*feeds.RssItem
	Categories []string `xml:"category"`
	Creator    string   `xml:"dc:creator,omitempty"`
}

func (b *builder) rss(d doc) ([]byte, error) {
	gf := b.gorillaFeed(d)
	if b.site.Author.Email == "" {
		gf.Author = nil // RSS names people by address; a bare name is invalid there
	}
	rf := (&feeds.Rss{Feed: gf}).RssFeed()
	rf.Language = b.site.Language
	rf.Generator = "bulletin"
	if rf.Description == "" {
		rf.Description = rf.Title
	}
	if img := firstNonEmpty(b.site.Logo, b.site.Icon); img != "" {
		rf.Image = &feeds.RssImage{Url: img, Title: rf.Title, Link: rf.Link}
	}
	ch := &rssChannel{RssFeed: rf}
	for _, l := range b.links(d, rssFormat) {
		t := rssFormat.mediaType()
		if l[0] == "hub" {
			t = ""
		}
		ch.AtomLinks = append(ch.AtomLinks, rssAtomLink{Rel: l[0], Href: l[1], Type: t})
	}
	root := &rssRoot{Version: "2.0", ContentNS: nsContent, AtomNS: nsAtom, DCNS: nsDC, Channel: ch}
	if d.page != 0 {
		root.HistoryNS, ch.Archive = nsHistory, &struct{}{}
	}
	for i, ri := range rf.Items {
		it := d.items[i]
		ri.Author = ""
		ri.Description = html.EscapeString(it.summary)
		ri.PubDate = it.published.UTC().Truncate(time.Second).Format(time.RFC1123Z)
		ch.Items = append(ch.Items, &rssItem{RssItem: ri, Categories: it.categories, Creator: it.author})
	}
	rf.Items = nil
	return writeXML(root)
}

func writeXML(f feeds.XmlFeed) ([]byte, error) {
	var buf bytes.Buffer
	if err := feeds.WriteXML(f, &buf); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

func (b *builder) json(d doc) ([]byte, error) {
	jf := (&feeds.JSON{Feed: b.gorillaFeed(d)}).JSONFeed()
	jf.HomePageUrl = b.site.URL
	jf.FeedUrl = b.abs(d.stream.current[jsonFormat])
	jf.Language = b.site.Language
	jf.Icon = firstNonEmpty(b.site.Logo, b.site.Icon)
	jf.Favicon = b.site.Icon
	if jf.Author != nil {
		jf.Author.Url = b.site.Author.URL
	}
	if k := d.older(); k > 0 {
		jf.NextUrl = b.abs(d.stream.archivePath(k, jsonFormat))
	}
	if b.site.Hub != "" {
		jf.Hubs = []*feeds.JSONHub{{Type: "WebSub", Url: b.site.Hub}}
	}
	for i, ji := range jf.Items {
		it := d.items[i]
		ji.Tags = it.categories
		pub, upd := it.published.UTC().Truncate(time.Second), it.updated.UTC().Truncate(time.Second)
		ji.PublishedDate, ji.ModifiedDate = &pub, &upd
	}
	out := jsonFeed{JSONFeed: jf, Items: jf.Items}
	if out.Items == nil {
		out.Items = []*feeds.JSONItem{} // "items" is required, even when empty
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// jsonFeed keeps "items" when it is empty; the library's tag omits it.
type jsonFeed struct {
	*feeds.JSONFeed
	Items []*feeds.JSONItem `json:"items"`
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
