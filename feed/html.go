package feed

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"strings"
	"time"

	"github.com/bulletin-app/bulletin/internal/design"
	"github.com/bulletin-app/bulletin/internal/markdown"
	"github.com/bulletin-app/bulletin/source"
	"github.com/bulletin-app/bulletin/store"
	"github.com/bulletin-app/bulletin/templates"
)

// Template files and the blocks in them that the feeds reuse, so that a
// feed item and its page always show the same thing.
const (
	indexTemplate  = "archive_index.html.tmpl"
	issueTemplate  = "archive_issue.html.tmpl"
	storyTemplate  = "archive_story.html.tmpl"
	layoutTemplate = "layout.html.tmpl"
	entryBlock     = "entry-body"    // one entry without its title: the entries feed's content
	issueBlock     = "issue-content" // one issue: the issues feed's content and the page's main part
)

type pages struct {
	t     *template.Template
	style template.CSS // the style sheet, with the theme's colours
}

var templateFuncs = template.FuncMap{
	"date": func(t time.Time) string { return t.UTC().Format("2 January 2006") },
	"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"join": strings.Join,
	// leads is an issue's first n entries, its lead stories; the one the
	// issue's title is named after comes first, and there is always one
	// (an empty one, for an issue with none).
	"leads": func(is issueView, n int) []entryView {
		es := is.Entries[:min(n, len(is.Entries))]
		if len(es) == 0 {
			return []entryView{{}}
		}
		return es
	},
}

// CheckTemplates parses the archive page templates of fsys, so that a
// broken one is found at start-up rather than at the next publish.
func CheckTemplates(fsys fs.FS) error {
	_, err := loadPages(fsys, design.MustTheme(""))
	return err
}

func loadPages(fsys fs.FS, theme design.Theme) (*pages, error) {
	if fsys == nil {
		fsys = templates.FS
	}
	t, err := template.New(indexTemplate).Funcs(templateFuncs).ParseFS(fsys, layoutTemplate, indexTemplate, issueTemplate, storyTemplate)
	if err != nil {
		return nil, fmt.Errorf("feed: templates: %w", err)
	}
	style, err := design.LoadStyle(fsys, theme)
	if err != nil {
		return nil, fmt.Errorf("feed: templates: %w", err)
	}
	for _, name := range []string{entryBlock, issueBlock} {
		if t.Lookup(name) == nil {
			return nil, fmt.Errorf("feed: templates: %s defines no %q block", issueTemplate, name)
		}
	}
	return &pages{t: t, style: style}, nil
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
	Lead     bool       // the issue's lead story, which comes first
	Image    *imageView // nil: none, or images are off
	// Earlier is the entry of an earlier issue whose story this one
	// continues, nil when none.
	Earlier *earlierView
}

// imageView is an article's image as pages show it: linked from where
// the article's feed or page says it is, never copied.
type imageView struct {
	URL           string
	Width, Height int
	Alt           string
}

// earlierView is the earlier entry of a story, as "Earlier: <Title>
// (<Publication> #<Issue>)" shows it; Link is its place on its issue's
// page, Story the story's page: both absolute, as on every page the
// entry appears on.
type earlierView struct {
	Title       string
	Publication string
	Issue       int
	Link        string
	Story       string
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
	// sanitized; empty when there is none.
	Intro   template.HTML
	Entries []entryView
}

// FaviconPath is where the generated favicon is, when site.icon names
// none.
const FaviconPath = "/favicon.svg"

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
	if p := e.Earlier; p != nil && p.IssueNumber > 0 && p.ArticleKey != "" {
		v.Earlier = &earlierView{
			Title:       plainText(p.Title),
			Publication: b.site.Title,
			Issue:       p.IssueNumber,
			Link:        b.abs(issuePath(p.IssueNumber)) + "#" + entryAnchor(p.ArticleKey),
		}
		if v.Earlier.Title == "" && len(p.Summary) > 0 {
			v.Earlier.Title = plainText(p.Summary[0])
		}
		if e.StoryID != 0 {
			v.Earlier.Story = b.abs(storyPath(e.StoryID))
		}
	}
	if v.Title == "" && len(v.Summary) > 0 {
		v.Title = v.Summary[0]
	}
	if b.site.Images {
		v.Image = b.imageView(e.Image)
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

// imageView is an entry's image, when its URL may be shown: https, or
// http on a site that is itself served over http (a page over https would
// not load it: mixed content).
func (b *builder) imageView(im source.Image) *imageView {
	u := source.CleanImage(im).URL
	if u == "" || (b.base.Scheme == "https" && !strings.HasPrefix(u, "https:")) {
		return nil
	}
	v := &imageView{URL: u, Alt: plainText(im.Alt)}
	if im.Width > 0 && im.Height > 0 && im.Width <= 10000 && im.Height <= 10000 {
		v.Width, v.Height = im.Width, im.Height
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

// pageData is what a page template sees: the frame every page shares
// (Site, Root, Style, Canonical, Feeds, Compact), and the page's own.
type pageData struct {
	design.Frame
	Updated time.Time
	Issues  []issueView // the index
	Issue   *issueView  // an issue page
	Story   *storyView  // a story's page
	Newer   *issueView
	Older   *issueView
}

// frame is what the frame of a page at root shows.
func (b *builder) frame(root, canonical string) design.Frame {
	s := b.site
	return design.Frame{
		Site: design.Site{Title: plainText(s.Title), Description: plainText(s.Description), URL: s.URL,
			Language: s.Language, Logo: s.Logo, Icon: s.Icon, Theme: s.Theme},
		Root: root, Style: b.pages.style, Canonical: canonical, Feeds: b.feedLinks(), Compact: root != "",
	}
}

func (b *builder) feedLinks() []design.FeedLink {
	var out []design.FeedLink
	for _, s := range []struct{ name, atom, rss, json string }{
		{"entries", EntriesAtom, EntriesRSS, EntriesJSON},
		{"issues", IssuesAtom, IssuesRSS, IssuesJSON},
	} {
		for f, p := range []string{s.atom, s.rss, s.json} {
			name := [...]string{"Atom", "RSS", "JSON Feed"}[f]
			out = append(out, design.FeedLink{
				Title:    fmt.Sprintf("%s: %s (%s)", b.site.Title, s.name, name),
				Group:    s.name,
				Format:   name,
				Type:     format(f).mediaType(),
				TypeAttr: template.HTMLAttr(`type="` + format(f).mediaType() + `"`),
				Href:     strings.TrimPrefix(p, "/"),
			})
		}
	}
	return out
}

// renderIndex renders the list of issues (newest first), each with its
// lead stories (leads: the first entries of each, in their issue's order);
// updated is the newest change among them.
func (b *builder) renderIndex(issues []store.IssueInfo, leads []store.Entry, updated time.Time) (*Document, error) {
	views := make([]issueView, len(issues))
	at := make(map[int]*issueView, len(issues))
	for i, is := range issues {
		views[i] = b.infoView(is)
		at[is.Number] = &views[i]
	}
	seen := map[string]bool{}
	for _, e := range leads {
		v := at[e.IssueNumber]
		key := fmt.Sprint(e.IssueNumber, " ", e.ArticleKey)
		if v == nil || checkEntry(e) != nil || seen[key] {
			continue
		}
		seen[key] = true
		v.Entries = append(v.Entries, b.entryView(e, e.IssueNumber, false))
	}
	index := pageData{Frame: b.frame("", b.site.URL), Issues: views, Updated: updated}
	body, err := b.pages.exec(indexTemplate, index)
	if err != nil {
		return nil, err
	}
	return newDocument("/", "text/html; charset=utf-8", body, docUpdated([]item{{updated: updated}}), b.site.MaxAge), nil
}

// indexLeads is how many lead stories the index shows of each issue.
const indexLeads = 3

// renderFavicon renders the favicon made from the site's title and
// accent, served when site.icon names none.
func (b *builder) renderFavicon(updated time.Time) *Document {
	return newDocument(FaviconPath, "image/svg+xml", b.site.Theme.Favicon(b.site.Title), updated, b.site.MaxAge)
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
	d := pageData{Frame: b.frame("../../", v.URL), Issue: &v, Updated: issueUpdated(is)}
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

// storyView is a story's page: its entries newest first, each with the
// issue it was in.
type storyView struct {
	ID      int64
	Title   string // the newest entry's
	Path    string // the page, relative to the site root
	URL     string // the page, absolute
	Entries []storyEntryView
}

type storyEntryView struct {
	Entry     entryView
	Issue     int
	IssuePath string // relative to the site root
}

// storyFeedLinks are the autodiscovery links of a story's page: its own
// feeds first, then the site's.
func (b *builder) storyFeedLinks(id int64, title string) []design.FeedLink {
	var out []design.FeedLink
	for _, f := range formats {
		name := [...]string{"Atom", "RSS", "JSON Feed"}[f]
		out = append(out, design.FeedLink{
			Title:    fmt.Sprintf("%s: %s (%s)", b.site.Title, title, name),
			Group:    "story",
			Format:   name,
			Type:     f.mediaType(),
			TypeAttr: template.HTMLAttr(`type="` + f.mediaType() + `"`),
			Href:     strings.TrimPrefix(storyFeedPath(id, f), "/"),
		})
	}
	return append(out, b.feedLinks()...)
}

// renderStoryPage renders the page of story id from its entries, newest
// first.
func (b *builder) renderStoryPage(id int64, entries []store.Entry) (*Document, error) {
	v := storyView{ID: id, Path: strings.TrimPrefix(storyPath(id), "/"), URL: b.abs(storyPath(id))}
	updated := time.Time{}
	seen := map[string]bool{}
	for _, e := range entries {
		if checkEntry(e) != nil || seen[e.ArticleKey] {
			continue
		}
		seen[e.ArticleKey] = true
		ev := b.entryView(e, e.IssueNumber, true)
		// The page is the story's: its entries link to their issues.
		if ev.URL == "" {
			ev.Link = b.abs(issuePath(e.IssueNumber)) + "#" + ev.Anchor
		}
		v.Entries = append(v.Entries, storyEntryView{Entry: ev, Issue: e.IssueNumber,
			IssuePath: strings.TrimPrefix(issuePath(e.IssueNumber), "/")})
		if u := e.UpdatedAt; u.After(updated) {
			updated = u
		}
		if p := entryPublished(e); p.After(updated) {
			updated = p
		}
	}
	if len(v.Entries) == 0 {
		return nil, ErrNotFound
	}
	v.Title = v.Entries[0].Entry.Title
	frame := b.frame("../../", v.URL)
	frame.Feeds = b.storyFeedLinks(id, v.Title)
	d := pageData{Frame: frame, Story: &v, Updated: updated}
	body, err := b.pages.exec(storyTemplate, d)
	if err != nil {
		return nil, err
	}
	return newDocument(storyPath(id), "text/html; charset=utf-8", body, docUpdated([]item{{updated: updated}}), b.site.MaxAge), nil
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
