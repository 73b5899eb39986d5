// Package feed publishes the digest: the feeds bulletin writes and serves,
// the entries and issues feeds in Atom 1.0, RSS 2.0 and JSON Feed 1.1,
// their RFC 5005 archive pages, and the HTML archive of issues. Documents
// are rendered from Data (the store) one at a time: Publish writes those
// that a publish changed to a folder for a static host, a Live source
// renders them when a Handler is asked for them, and Build renders them all
// into a Set. The upstream feeds bulletin reads are package source's
// (source.UpstreamFeed).
package feed

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/bulletin-app/bulletin/internal/design"
	"github.com/bulletin-app/bulletin/store"
)

// Site describes the publication. The zero value of every field but URL
// works.
type Site struct {
	Title       string
	Description string
	// URL is the public base URL the documents are served under, such as
	// https://news.example.org/. Ids derive from its host name.
	URL      string
	Language string // BCP 47, e.g. "en"
	Author   Person
	Icon     string // small square image (favicon), absolute or relative to URL
	Logo     string // larger image, absolute or relative to URL
	// Items is how many items a feed document holds; older ones are on
	// archive pages. Default 50.
	Items int
	// Hub is a WebSub hub URL; when set, feeds name it and PingHub tells it
	// about new content.
	Hub string
	// MaxAge is how long clients may cache a current feed or page without
	// asking again. Default 5 minutes; archive pages are kept a day.
	MaxAge time.Duration
	// Theme is the pages' colours (design.NewTheme of site.accent); the
	// zero value takes the default accent's.
	Theme design.Theme
	// Images shows each entry's article image on the pages (and in the
	// feeds' content), linked, never copied.
	Images bool
	// Templates holds the page templates; nil uses the embedded defaults.
	Templates fs.FS
	// Log receives warnings about skipped items; nil uses slog.Default().
	Log *slog.Logger
}

// Person is an author.
type Person struct {
	Name  string
	Email string
	URL   string
}

// idDate is the date part of every tag URI (RFC 4151). It must never
// change: every id ever published contains it.
const idDate = "2026"

// DefaultItems is how many items a feed document holds when Site.Items is 0.
const DefaultItems = 50

// Paths of the current feeds, relative to Site.URL.
const (
	EntriesAtom = "/feed.atom"
	EntriesRSS  = "/feed.rss"
	EntriesJSON = "/feed.json"
	IssuesAtom  = "/issues.atom"
	IssuesRSS   = "/issues.rss"
	IssuesJSON  = "/issues.json"
)

// item is one feed item before it is put in a format.
type item struct {
	id          string
	title       string
	link        string // absolute
	summary     string // plain text
	contentHTML string // sanitized
	author      string
	categories  []string
	published   time.Time
	updated     time.Time
}

// stream is one feed (entries or issues): its current document holds the
// newest Site.Items positions, and archive page k the positions k*n-n+1 …
// k*n counted from the oldest (1 is the first entry ever issued, or issue
// 1), so that a full page never changes. Only full pages are made, those
// that the current document does not cover entirely; the current document
// overlaps the newest of them, which readers deduplicate by id.
type stream struct {
	name     string // "entries" or "issues"
	title    string
	id       string
	current  map[format]string // path of the current document per format
	total    int               // positions so far
	archives int               // archive pages
}

// archivesFor is how many archive pages total positions make, n a page.
func archivesFor(total, n int) int {
	if total <= 0 {
		return 0
	}
	return (total - 1) / n
}

func (b *builder) entriesStream(total int) *stream {
	return &stream{
		name: "entries", title: b.site.Title, id: b.tag("feed:entries"),
		current: map[format]string{atomFormat: EntriesAtom, rssFormat: EntriesRSS, jsonFormat: EntriesJSON},
		total:   total, archives: archivesFor(total, b.site.Items),
	}
}

func (b *builder) issuesStream(total int) *stream {
	return &stream{
		name: "issues", title: b.site.Title + " — issues", id: b.tag("feed:issues"),
		current: map[format]string{atomFormat: IssuesAtom, rssFormat: IssuesRSS, jsonFormat: IssuesJSON},
		total:   total, archives: archivesFor(total, b.site.Items),
	}
}

// positions is the run of positions (from, to] that document page holds
// (0: the current one).
func (s *stream) positions(page, n int) (from, to int) {
	if page == 0 {
		return max(0, s.total-n), s.total
	}
	return (page - 1) * n, page * n
}

type format int

const (
	atomFormat format = iota
	rssFormat
	jsonFormat
)

var formats = []format{atomFormat, rssFormat, jsonFormat}

func (f format) ext() string { return [...]string{".atom", ".rss", ".json"}[f] }

func (f format) contentType() string {
	return [...]string{
		"application/atom+xml; charset=utf-8",
		"application/rss+xml; charset=utf-8",
		"application/feed+json; charset=utf-8",
	}[f]
}

// builder holds what every document needs.
type builder struct {
	site  Site
	base  *url.URL // Site.URL, with a trailing slash
	host  string
	pages *pages
	log   *slog.Logger
}

func newBuilder(site Site) (*builder, error) {
	u, err := parseBase(site.URL)
	if err != nil {
		return nil, err
	}
	if site.Items <= 0 {
		site.Items = DefaultItems
	}
	if site.MaxAge <= 0 {
		site.MaxAge = 5 * time.Minute
	}
	site.Title = plainText(site.Title)
	if site.Title == "" {
		site.Title = u.Hostname()
	}
	site.Description = plainText(site.Description)
	site.Author.Name = plainText(site.Author.Name)
	if site.Author.Name == "" {
		// Atom wants an author for every entry; the site speaks for those
		// that have none.
		site.Author.Name = site.Title
	}
	site.Language = plainText(site.Language)
	site.URL = u.String()
	b := &builder{site: site, base: u, host: strings.ToLower(u.Hostname()), log: site.Log}
	if b.log == nil {
		b.log = slog.Default()
	}
	b.site.Icon = b.abs(site.Icon)
	b.site.Logo = b.abs(site.Logo)
	b.site.Author.URL = webURL(site.Author.URL)
	if site.Hub != "" {
		if b.site.Hub = webURL(site.Hub); b.site.Hub == "" {
			return nil, fmt.Errorf("feed: hub URL %q: want an absolute http(s) URL", site.Hub)
		}
	}
	if b.site.Theme == (design.Theme{}) {
		b.site.Theme = design.MustTheme("")
	}
	b.pages, err = loadPages(site.Templates, b.site.Theme)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// parseBase checks the site URL and gives it a trailing slash, so that
// paths resolve under it.
func parseBase(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, fmt.Errorf("feed: site URL %q: want an absolute http(s) URL", s)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// abs resolves a path relative to the site URL; "" stays "".
func (b *builder) abs(ref string) string {
	if ref == "" {
		return ""
	}
	r, err := url.Parse(strings.TrimPrefix(xmlText(ref), "/"))
	if err != nil {
		return ""
	}
	return webURL(b.base.ResolveReference(r).String())
}

// tag makes a tag URI (RFC 4151) under the site's host name.
func (b *builder) tag(specific string) string {
	return "tag:" + b.host + "," + idDate + ":" + specific
}

// entryID depends on the article's key alone, so it survives a rebuilt
// database, a retitled article and a new summary.
func (b *builder) entryID(articleKey string) string {
	sum := sha256.Sum256([]byte(articleKey))
	return b.tag("entry:" + hex.EncodeToString(sum[:16]))
}

func (b *builder) issueID(n int) string { return b.tag(fmt.Sprintf("issue:%d", n)) }

// issuePath is where issue n's page lives. A folder with an index.html is
// the one layout every static host serves at the same URL as the live
// server.
func issuePath(n int) string { return fmt.Sprintf("/issues/%d/", n) }

// storyPath is where story id's page lives, and storyFeedPath its feed.
func storyPath(id int64) string { return fmt.Sprintf("/stories/%d/", id) }

func storyFeedPath(id int64, f format) string { return fmt.Sprintf("/stories/%d/feed%s", id, f.ext()) }

// storyStream is the feed of one story: its newest Site.Items entries,
// without archive pages (a story is short). Its id depends on the story's
// number alone, as an issue's does.
func (b *builder) storyStream(id int64, entries []store.Entry) *stream {
	title := b.site.Title + " — story"
	if len(entries) > 0 {
		if t := plainText(entries[0].Title); t != "" {
			title = b.site.Title + " — " + t
		}
	}
	s := &stream{name: "story", title: title, id: b.tag(fmt.Sprintf("feed:story:%d", id)),
		current: map[format]string{}, total: len(entries)}
	for _, f := range formats {
		s.current[f] = storyFeedPath(id, f)
	}
	return s
}

// EntryAnchor is the id of an entry's place on its issue's page, from its
// article's key: what an email links to.
func EntryAnchor(articleKey string) string { return entryAnchor(articleKey) }

func entryAnchor(articleKey string) string {
	sum := sha256.Sum256([]byte(articleKey))
	return "e-" + hex.EncodeToString(sum[:6])
}

// entryItems makes the items of entries (newest first), leaving out the
// broken ones.
func (b *builder) entryItems(entries []store.Entry) ([]item, error) {
	var out []item
	seen := map[string]bool{}
	for _, e := range entries {
		if err := checkEntry(e); err != nil {
			b.log.Warn("feed: entry skipped", "issue", e.IssueNumber, "article", e.ArticleKey, "err", err)
			continue
		}
		id := b.entryID(e.ArticleKey)
		if seen[id] {
			b.log.Warn("feed: entry skipped", "issue", e.IssueNumber, "article", e.ArticleKey, "err", "already in a newer issue")
			continue
		}
		seen[id] = true
		v := b.entryView(e, e.IssueNumber, true)
		content, err := b.pages.entryHTML(v)
		if err != nil {
			return nil, err
		}
		it := item{
			id:          id,
			title:       v.Title,
			link:        v.Link,
			summary:     v.Teaser,
			contentHTML: content,
			author:      v.Author,
			published:   entryPublished(e),
			updated:     e.UpdatedAt,
		}
		if v.Source != "" {
			it.categories = []string{v.Source}
		}
		if it.updated.Before(it.published) {
			it.updated = it.published
		}
		out = append(out, it)
	}
	return out, nil
}

var errNoKey = errors.New("no article key")

func checkEntry(e store.Entry) error {
	if strings.TrimSpace(e.ArticleKey) == "" {
		return errNoKey
	}
	if plainText(e.Title) == "" && len(e.Summary) == 0 {
		return errors.New("neither title nor summary")
	}
	return nil
}

func entryPublished(e store.Entry) time.Time {
	if !e.Published.IsZero() {
		return e.Published
	}
	return e.CreatedAt
}

// issueUpdated is when the issue's content last changed: an entry
// summarized again after the issue went out changes its page.
func issueUpdated(is store.Issue) time.Time {
	t := is.CreatedAt
	for _, e := range is.Entries {
		if e.UpdatedAt.After(t) {
			t = e.UpdatedAt
		}
	}
	return t
}

func (b *builder) issueItems(issues []store.Issue) ([]item, error) {
	out := make([]item, 0, len(issues))
	for _, is := range issues {
		v := b.issueView(is, true)
		content, err := b.pages.issueHTML(v)
		if err != nil {
			return nil, err
		}
		titles := make([]string, 0, len(v.Entries))
		var sources []string
		seen := map[string]bool{}
		for _, e := range v.Entries {
			titles = append(titles, e.Title)
			if e.Source != "" && !seen[e.Source] {
				seen[e.Source] = true
				sources = append(sources, e.Source)
			}
		}
		out = append(out, item{
			id:          b.issueID(is.Number),
			title:       v.Title,
			link:        b.abs(issuePath(is.Number)),
			summary:     strings.Join(titles, " · "),
			contentHTML: content,
			categories:  sources,
			published:   is.CreatedAt,
			updated:     issueUpdated(is),
		})
	}
	return out, nil
}

func (s *stream) archivePath(k int, f format) string {
	return fmt.Sprintf("/feeds/%s/archive/%d%s", s.name, k, f.ext())
}

// doc is one feed document to render.
type doc struct {
	stream  *stream
	items   []item
	page    int // 0 for the current document, else the archive page number
	updated time.Time
}

func (d doc) path(f format) string {
	if d.page == 0 {
		return d.stream.current[f]
	}
	return d.stream.archivePath(d.page, f)
}

// older is the page holding the items just before this document's, or 0.
func (d doc) older() int {
	if d.page == 0 {
		return d.stream.archives
	}
	return d.page - 1
}

// newer is the archive page after this one, or 0 for the current document.
func (d doc) newer() int {
	if d.page == 0 || d.page >= d.stream.archives {
		return 0
	}
	return d.page + 1
}

// docUpdated is the newest change among the items, so that the same data
// always renders the same bytes. An empty feed gets the Unix epoch.
func docUpdated(items []item) time.Time {
	t := time.Unix(0, 0)
	for _, it := range items {
		if it.updated.After(t) {
			t = it.updated
		}
	}
	return t.UTC().Truncate(time.Second)
}

// renderFeed renders a feed document in its three formats.
func (b *builder) renderFeed(d doc) ([]*Document, error) {
	d.updated = docUpdated(d.items)
	maxAge := b.site.MaxAge
	if d.page != 0 {
		maxAge = 24 * time.Hour
	}
	out := make([]*Document, 0, len(formats))
	for _, f := range formats {
		var body []byte
		var err error
		switch f {
		case atomFormat:
			body, err = b.atom(d)
		case rssFormat:
			body, err = b.rss(d)
		case jsonFormat:
			body, err = b.json(d)
		}
		if err != nil {
			return nil, fmt.Errorf("feed: render %s: %w", d.path(f), err)
		}
		out = append(out, newDocument(d.path(f), f.contentType(), body, d.updated, maxAge))
	}
	return out, nil
}
