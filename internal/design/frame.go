package design

import (
	"html/template"
	"io/fs"
	"net/url"
)

// StyleFile is the style sheet's file among the templates: a copy in
// templates.dir takes the place of the embedded one.
const StyleFile = "style.css"

// Site is what pages and emails show of the newsletter.
type Site struct {
	Title, Description string
	URL                string // the public base URL, ending in "/"
	Language           string
	// Logo and Icon are absolute URLs, or "": a logo beside the title in
	// the masthead, an icon in place of the generated favicon.
	Logo, Icon string
	Theme      Theme
}

// String is the title: a template that prints .Site prints that.
func (s Site) String() string { return s.Title }

// Path is the path of the site's URL, "/" at least: the root the
// subscription pages link to.
func (s Site) Path() string {
	u, err := url.Parse(s.URL)
	if err != nil || u.Path == "" {
		return "/"
	}
	p := u.Path
	if p[len(p)-1] != '/' {
		p += "/"
	}
	return p
}

// FeedLink is one feed a page links to.
type FeedLink struct {
	Title  string // "Bulletin: issues (Atom)"
	Group  string // entries or issues
	Format string // Atom, RSS, JSON Feed
	Type   string
	Href   string // relative to the site's root
	// TypeAttr is the whole type="…" attribute: as a plain string the
	// template would write the "+" as "&#43;", which naive autodiscovery
	// code misses.
	TypeAttr template.HTMLAttr
}

// Frame is what every page's frame (templates/layout.html.tmpl) shows; a
// page's data embeds it.
type Frame struct {
	Site      Site
	Root      string // from the page to the site's root: "", "../../", "/"
	Style     template.CSS
	Canonical string
	Feeds     []FeedLink
	Compact   bool // a smaller masthead, on pages below the archive's
}

// LoadStyle reads the style sheet from fsys (templates.Overlay) and puts
// it together with theme's colours, once, for every page to use.
func LoadStyle(fsys fs.FS, theme Theme) (template.CSS, error) {
	b, err := fs.ReadFile(fsys, StyleFile)
	if err != nil {
		return "", err
	}
	return theme.Stylesheet(string(b)), nil
}
