package feed

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"strings"
	"time"

	"github.com/bulletin-app/bulletin/internal/markdown"
	"github.com/bulletin-app/bulletin/store"
	"github.com/bulletin-app/bulletin/templates"
)

// Template files and the blocks in them that the feeds reuse, so that a
// feed item and its page always show the same thing.
const (
	indexTemplate = "archive_index.html.tmpl"
	issueTemplate = "archive_issue.html.tmpl"
	entryBlock    = "entry-body"    // one entry without its title: the entries feed's content
	issueBlock    = "issue-content" // one issue: the issues feed's content and the page's main part
)

type pages struct{ t *template.Template }

var templateFuncs = template.FuncMap{
	"date": func(t time.Time) string { return t.UTC().Format("2 January 2006") },
	"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"join": strings.Join,
}

// CheckTemplates parses the archive page templates of fsys, so that a
// broken one is found at start-up rather than at the next publish.
func CheckTemplates(fsys fs.FS) error {
	_, err := loadPages(fsys)
	return err
}

func loadPages(fsys fs.FS) (*pages, error) {
	if fsys == nil {
		fsys = templates.FS
	}
	t, err := template.New(indexTemplate).Funcs(templateFuncs).ParseFS(fsys, indexTemplate, issueTemplate)
	if err != nil {
		return nil, fmt.Errorf("feed: templates: %w", err)
	}
	for _, name := range []string{entryBlock, issueBlock} {
		if t.Lookup(name) == nil {
			return nil, fmt.Errorf("feed: templates: %s defines no %q block", issueTemplate, name)
		}
	}
	return &pages{t: t}, nil
}

func (p *pages) exec(name string, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := p.t.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, fmt.Errorf("feed: template %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// fragment renders a block for a feed: sanitized, since a template from
// the user's folder may print anything.
func (p *pages) fragment(name string, data any) (string, error) {
	b, err := p.exec(name, data)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(safeHTML(string(b))), nil
}

func (p *pages) entryHTML(v entryView) (string, error) { return p.fragment(entryBlock, v) }
func (p *pages) issueHTML(v issueView) (string, error) { return p.fragment(issueBlock, v) }

// entryView is what the templates see of an entry; every string is clean
// plain text or a checked http(s) URL.
type entryView struct {
	Anchor  string
	Title   string
	URL     string // the article; "" when it has none
	Link    string // the article, else the entry on its issue page
	Source  string
	Author  string
	Teaser  string
	Summary []string
	Date    time.Time
	Also    []alsoView // other reports of the same story, the first maxAlso
	// AlsoMore counts the other reports not in Also.
	AlsoMore int
	Lead     bool // the issue's lead story, which comes first
}

// maxAlso bounds the other reports shown beside an entry: a story told by
// thousands of copies of one item is still one entry, not a page of links.
const maxAlso = 5

type alsoView struct{ Title, URL, Source string }

type issueView struct {
	Number int
	Title  string
	Date   time.Time
	Path   string // the page, relative to the site root
	URL    string // the page, absolute
	Count  int    // entries in the issue
	// Intro is the editor's introduction, rendered from Markdown and
	// sanitized.
	Intro   template.HTML
	Entries []entryView
}

// entryView cleans an entry for display. Links are absolute when the
// result goes into a feed.
func (b *builder) entryView(e store.Entry, issue int, absolute bool) entryView {
	v := entryView{
		Anchor: entryAnchor(e.ArticleKey),
		Title:  plainText(e.Title),
		URL:    webURL(e.URL),
		Source: plainText(e.Source),
		Author: plainText(e.Author),
		Teaser: plainText(e.Teaser),
		Date:   entryPublished(e),
		Lead:   e.Lead,
	}
	for _, s := range e.Summary {
		if s = plainText(s); s != "" {
			v.Summary = append(v.Summary, s)
		}
	}
	for _, l := range e.Also {
		u := webURL(l.URL)
		switch {
		case u == "":
		case len(v.Also) == maxAlso:
			v.AlsoMore++
		default:
			v.Also = append(v.Also, alsoView{Title: plainText(l.Title), URL: u, Source: plainText(l.Source)})
		}
	}
	if v.Title == "" && len(v.Summary) > 0 {
		v.Title = v.Summary[0]
	}
	if v.Teaser == "" && len(v.Summary) > 0 {
		v.Teaser = v.Summary[0]
	}
	v.Link = v.URL
	if v.Link == "" {
		v.Link = "#" + v.Anchor
		if absolute {
			v.Link = b.abs(issuePath(issue)) + "#" + v.Anchor
		}
	}
	return v
}

func (b *builder) issueView(is store.Issue, absolute bool) issueView {
	v := issueView{
		Number: is.Number,
		Title:  plainText(is.Title),
		Date:   is.CreatedAt,
		Path:   strings.TrimPrefix(issuePath(is.Number), "/"),
		URL:    b.abs(issuePath(is.Number)),
	}
	if v.Title == "" {
		v.Title = fmt.Sprintf("Issue %d", is.Number)
	}
	v.Intro = template.HTML(safeHTML(markdown.HTML(is.Intro)))
	seen := map[string]bool{}
	for _, e := range is.Entries {
		if checkEntry(e) != nil || seen[e.ArticleKey] {
			continue
		}
		seen[e.ArticleKey] = true
		v.Entries = append(v.Entries, b.entryView(e, is.Number, absolute))
	}
	v.Count = len(v.Entries)
	return v
}

// infoView is an issue as the index and the pager show it: without its
// entries.
func (b *builder) infoView(is store.IssueInfo) issueView {
	v := issueView{
		Number: is.Number,
		Title:  plainText(is.Title),
		Date:   is.CreatedAt,
		Path:   strings.TrimPrefix(issuePath(is.Number), "/"),
		URL:    b.abs(issuePath(is.Number)),
		Count:  is.Entries,
	}
	if v.Title == "" {
		v.Title = fmt.Sprintf("Issue %d", is.Number)
	}
	return v
}

// pageData is what a page template sees.
type pageData struct {
	Site      siteView
	Root      string // relative path from the page to the site root: "" or "../../"
	Canonical string
	Feeds     []feedLink
	Updated   time.Time
	Issues    []issueView // the index
	Issue     *issueView  // an issue page
	Newer     *issueView
	Older     *issueView
}

type siteView struct {
	Title, Description, Language, URL string
}

// feedLink is one autodiscovery link; Href is relative to the site root.
// TypeAttr is the whole type="…" attribute: as a plain string the template
// would write the "+" as "&#43;", which naive autodiscovery code misses.
type feedLink struct {
	Title, Type, Href string
	TypeAttr          template.HTMLAttr
}

func (b *builder) feedLinks() []feedLink {
	var out []feedLink
	for _, s := range []struct{ name, atom, rss, json string }{
		{"entries", EntriesAtom, EntriesRSS, EntriesJSON},
		{"issues", IssuesAtom, IssuesRSS, IssuesJSON},
	} {
		for f, p := range []string{s.atom, s.rss, s.json} {
			out = append(out, feedLink{
				Title:    fmt.Sprintf("%s: %s (%s)", b.site.Title, s.name, [...]string{"Atom", "RSS", "JSON Feed"}[f]),
				Type:     format(f).mediaType(),
				TypeAttr: template.HTMLAttr(`type="` + format(f).mediaType() + `"`),
				Href:     strings.TrimPrefix(p, "/"),
			})
		}
	}
	return out
}

func (b *builder) siteView() siteView {
	return siteView{Title: b.site.Title, Description: b.site.Description, Language: b.site.Language, URL: b.site.URL}
}

// renderIndex renders the list of issues (newest first); updated is the
// newest change among them.
func (b *builder) renderIndex(issues []store.IssueInfo, updated time.Time) (*Document, error) {
	views := make([]issueView, len(issues))
	for i, is := range issues {
		views[i] = b.infoView(is)
	}
	index := pageData{Site: b.siteView(), Canonical: b.site.URL, Feeds: b.feedLinks(), Issues: views, Updated: updated}
	body, err := b.pages.exec(indexTemplate, index)
	if err != nil {
		return nil, err
	}
	return newDocument("/", "text/html; charset=utf-8", body, docUpdated([]item{{updated: updated}}), b.site.MaxAge), nil
}

// renderIssuePage renders the page of an issue, with links to the issues
// just newer and older (nil when there is none).
func (b *builder) renderIssuePage(is store.Issue, newer, older *store.IssueInfo) (*Document, error) {
	body, err := b.issuePage(is, newer, older)
	if err != nil {
		return nil, err
	}
	return newDocument(issuePath(is.Number), "text/html; charset=utf-8", body, docUpdated([]item{{updated: issueUpdated(is)}}), b.site.MaxAge), nil
}

func (b *builder) issuePage(is store.Issue, newer, older *store.IssueInfo) ([]byte, error) {
	v := b.issueView(is, false)
	d := pageData{Site: b.siteView(), Root: "../../", Canonical: v.URL, Feeds: b.feedLinks(),
		Issue: &v, Updated: issueUpdated(is)}
	if newer != nil {
		nv := b.infoView(*newer)
		d.Newer = &nv
	}
	if older != nil {
		ov := b.infoView(*older)
		d.Older = &ov
	}
	return b.pages.exec(issueTemplate, d)
}

// IssuePage renders the web page of is as Publish renders it, with newer
// and older (nil when none) as the issues published just after and before
// it: the page of an issue before it is published, for a preview.
func IssuePage(site Site, is store.Issue, newer, older *store.Issue) ([]byte, error) {
	b, err := newBuilder(site)
	if err != nil {
		return nil, err
	}
	info := func(is *store.Issue) *store.IssueInfo {
		if is == nil {
			return nil
		}
		return &store.IssueInfo{Number: is.Number, Title: is.Title, CreatedAt: is.CreatedAt, Entries: len(is.Entries)}
	}
	return b.issuePage(is, info(newer), info(older))
}

// IssuePagePath is where issue n's page is, relative to the site's URL.
func IssuePagePath(n int) string { return issuePath(n) }
