package newsletter

import (
	"bytes"
	"fmt"
	"html"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"slices"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/vanng822/go-premailer/premailer"

	"github.com/bulletin-app/bulletin/internal/design"
	"github.com/bulletin-app/bulletin/internal/markdown"
	"github.com/bulletin-app/bulletin/source"
	"github.com/bulletin-app/bulletin/store"
)

// Template file names, looked up in Options.Templates.
const (
	issueHTMLTemplate   = "email.html.tmpl"
	issueTextTemplate   = "email.txt.tmpl"
	confirmHTMLTemplate = "confirm.html.tmpl"
	confirmTextTemplate = "confirm.txt.tmpl"
	welcomeHTMLTemplate = "welcome.html.tmpl"
	welcomeTextTemplate = "welcome.txt.tmpl"
)

// Site describes the newsletter for templates.
type Site struct {
	Title       string
	Description string
	URL         string
	Logo        string // an absolute URL, or ""
}

// IssueData is the issue as templates see it.
type IssueData struct {
	Number int // below 0 for a weekly digest
	Title  string
	Date   time.Time
	URL    string // its web page: the "view in browser" link
}

// EntryData is one entry as templates see it. All fields are plain text:
// the HTML template escapes them.
type EntryData struct {
	Title     string
	URL       string
	Source    string
	Author    string
	Published time.Time
	Summary   []string // one sentence each
	Teaser    string
	// Also are other reports of the same story (title, URL, source): the
	// first maxAlso of them.
	Also []store.Link
	// AlsoMore counts the other reports not in Also.
	AlsoMore int
	// Lead marks the issue's lead story, which comes first.
	Lead bool
	// Image is the article's picture, when Options.Images shows it; nil
	// otherwise.
	Image *ImageData
	// Issue is the issue the entry is from, in a weekly digest.
	Issue *IssueData
	// Earlier is the entry of an earlier issue whose story this one
	// continues, nil when none: "Earlier: <Title> (<Site.Title> #<Issue>)".
	Earlier *EarlierData
}

// EarlierData is the earlier entry of a story: its title, its issue, its
// place on that issue's page, and the story's page.
type EarlierData struct {
	Title    string
	Issue    int
	URL      string
	StoryURL string
}

// ImageData is an entry's picture: a link to it, never a copy. Width and
// Height are 0 when not known.
type ImageData struct {
	URL           string
	Width, Height int
	Alt           string
}

// maxAlso bounds the other reports shown beside an entry, so that a story
// told by thousands of copies of one item does not make every subscriber's
// email megabytes long.
const maxAlso = 5

// SubscriberData holds the per-subscriber fields. Name may be empty: write
// {{with .Subscriber.FirstName}}Hi {{.}},{{end}} to greet only those who
// gave one. FirstName is the first word of Name.
type SubscriberData struct {
	Email     string
	Name      string
	FirstName string
}

// MessageData is what email.html.tmpl and email.txt.tmpl are executed with.
type MessageData struct {
	Site    Site
	Issue   IssueData
	Entries []EntryData
	// Preheader is the inbox preview line ("In this issue: …"), which the
	// default template shows as the message's first line.
	Preheader string
	// Intro is the editor's introduction: Markdown, as written, for the
	// text part, and IntroHTML the same rendered and sanitized, for the
	// HTML part. Both are empty when there is none.
	Intro      string
	IntroHTML  htmltemplate.HTML
	Subscriber SubscriberData
	// UnsubscribeURL ends the subscription (one click, then a button);
	// PreferencesURL opens the page where the reader chooses every issue
	// or a weekly digest, or pauses.
	UnsubscribeURL string
	PreferencesURL string
	Test           bool // a [TEST] copy
	// Weekly is set in a weekly digest, whose Issues are the issues it
	// covers, oldest first, and whose entries say which they are from.
	Weekly bool
	Issues []IssueData
	// Theme is the design's colours (the light palette is inlined; mail
	// clients that darken messages do it themselves).
	Theme design.Theme
}

// ConfirmData is what confirm.html.tmpl and confirm.txt.tmpl are executed
// with. Its Subscriber has no Name: the message goes to whatever address a
// visitor typed, and must not carry their text.
type ConfirmData struct {
	Site       Site
	Subscriber SubscriberData
	ConfirmURL string
	Expires    time.Time
	Theme      design.Theme
}

// WelcomeData is what welcome.html.tmpl and welcome.txt.tmpl are executed
// with: the email a subscriber gets once they confirmed.
type WelcomeData struct {
	Site       Site
	Subscriber SubscriberData
	// Latest is the newest issue, to read now; nil before the first.
	Latest         *IssueData
	PreferencesURL string
	UnsubscribeURL string
	Theme          design.Theme
}

// Per-subscriber values are rendered as these placeholders and substituted
// afterwards, so that an issue is rendered and its CSS inlined once per
// variant rather than once per subscriber (premailer takes milliseconds,
// which would cap a send far below 1,000 messages/s). Templates may test and
// print the per-subscriber fields but not transform them.
const (
	placeholderEmail = "bulletin0subscriber0email0"
	placeholderName  = "bulletin0subscriber0name0"
	placeholderFirst = "bulletin0subscriber0first0"
	placeholderUnsub = "bulletin0unsubscribe0url0"
	placeholderPrefs = "bulletin0preferences0url0"
)

type renderer struct {
	issueHTML   *htmltemplate.Template
	issueText   *texttemplate.Template
	confirmHTML *htmltemplate.Template
	confirmText *texttemplate.Template
	welcomeHTML *htmltemplate.Template
	welcomeText *texttemplate.Template
}

var ugc = bluemonday.UGCPolicy()

// CheckTemplates parses the email templates of fsys, so that a broken one
// is found at start-up rather than at the next send.
func CheckTemplates(fsys fs.FS) error {
	if _, err := newRenderer(fsys); err != nil {
		return fmt.Errorf("newsletter: templates: %w", err)
	}
	return nil
}

func newRenderer(fsys fs.FS) (*renderer, error) {
	var r renderer
	var err error
	if r.issueHTML, err = parseHTML(fsys, issueHTMLTemplate); err != nil {
		return nil, err
	}
	if r.issueText, err = parseText(fsys, issueTextTemplate); err != nil {
		return nil, err
	}
	if r.confirmHTML, err = parseHTML(fsys, confirmHTMLTemplate); err != nil {
		return nil, err
	}
	if r.confirmText, err = parseText(fsys, confirmTextTemplate); err != nil {
		return nil, err
	}
	if r.welcomeHTML, err = parseHTML(fsys, welcomeHTMLTemplate); err != nil {
		return nil, err
	}
	if r.welcomeText, err = parseText(fsys, welcomeTextTemplate); err != nil {
		return nil, err
	}
	return &r, nil
}

var funcs = map[string]any{
	"inc":  func(i int) int { return i + 1 },
	"join": strings.Join,
	"wrap": wrap,
	// heightAt is the height of an image of width w and height h shown w2
	// wide.
	"heightAt": func(w2, w, h int) int {
		if w <= 0 {
			return 0
		}
		return h * w2 / w
	},
}

func parseHTML(fsys fs.FS, name string) (*htmltemplate.Template, error) {
	src, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	f := htmltemplate.FuncMap(funcs)
	// sanitize lets a template show an HTML field; untrusted markup goes
	// through bluemonday first.
	f["sanitize"] = func(s string) htmltemplate.HTML { return htmltemplate.HTML(ugc.Sanitize(s)) }
	t, err := htmltemplate.New(name).Funcs(f).Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	return t, nil
}

func parseText(fsys fs.FS, name string) (*texttemplate.Template, error) {
	src, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	t, err := texttemplate.New(name).Funcs(funcs).Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	return t, nil
}

// rendered is an issue rendered for every subscriber alike.
type rendered struct {
	subject string
	// withName and noName are the two variants: the templates may show
	// something else when a subscriber has no name.
	withName, noName parts
}

type parts struct{ html, text pieces }

// pieces is a rendered body cut at its per-subscriber placeholders. A
// subscriber's copy is written straight from them into the message, with
// no per-subscriber search or intermediate string.
type pieces struct {
	// lits holds one more piece than fields: lits[0] fields[0] lits[1] …
	// They are bytes because the encoders a body is written to take
	// nothing else: a string would be copied on every write.
	lits   [][]byte
	fields []field
	size   int // length of the literal text
	// enc are the lits with their quoted-printable encoding made in
	// advance, for writeQP.
	enc []lit
}

// field is a per-subscriber value; its number indexes a values array.
type field uint8

const (
	fieldEmail field = iota
	fieldName
	fieldFirst
	fieldUnsub
	fieldPrefs
	numFields
)

var placeholders = [numFields]string{fieldEmail: placeholderEmail, fieldName: placeholderName,
	fieldFirst: placeholderFirst, fieldUnsub: placeholderUnsub, fieldPrefs: placeholderPrefs}

// cut splits body at every placeholder.
func cut(body string) pieces {
	var p pieces
	for {
		at, which := -1, field(0)
		for f, ph := range placeholders {
			if i := strings.Index(body, ph); i >= 0 && (at < 0 || i < at) {
				at, which = i, field(f)
			}
		}
		if at < 0 {
			break
		}
		p.lits = append(p.lits, []byte(body[:at]))
		p.fields = append(p.fields, which)
		p.size += at
		body = body[at+len(placeholders[which]):]
	}
	p.lits = append(p.lits, []byte(body))
	p.size += len(body)
	// A body with a carriage return is encoded whole (see lit).
	whole := slices.ContainsFunc(p.lits, func(l []byte) bool { return bytes.IndexByte(l, '\r') >= 0 })
	for _, l := range p.lits {
		p.enc = append(p.enc, newLit(l, whole))
	}
	return p
}

func (p *pieces) has(f field) bool { return slices.Contains(p.fields, f) }

// writeTo writes the body with the values filled in.
func (p *pieces) writeTo(w io.Writer, values *[numFields]string) (int64, error) {
	var n int64
	for i, lit := range p.lits {
		if i > 0 {
			k, err := io.WriteString(w, values[p.fields[i-1]])
			n += int64(k)
			if err != nil {
				return n, err
			}
		}
		k, err := w.Write(lit)
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (p *pieces) string(values *[numFields]string) string {
	var b strings.Builder
	b.Grow(p.size + len(p.fields)*64)
	p.writeTo(&b, values)
	return b.String()
}

// personal is one subscriber's copy of a rendered issue, written out on
// demand.
type personal struct {
	p          *parts
	html, text [numFields]string
}

// personal picks the variant for a subscriber and escapes their values for
// the HTML part once.
func (r *rendered) personal(email, name, unsubscribeURL, preferencesURL string) *personal {
	pc := &personal{p: &r.noName, text: [numFields]string{email, name, firstName(name), unsubscribeURL, preferencesURL}}
	if name != "" {
		pc.p = &r.withName
	}
	for f, v := range pc.text {
		pc.html[f] = html.EscapeString(v)
	}
	return pc
}

// renderIssue renders the issue once per variant, with placeholders for the
// per-subscriber values.
func (n *Newsletter) renderIssue(is mailing, test bool) (*rendered, error) {
	data := n.issueData(is, test)
	// The editor's subject, else the lead story's headline: what the
	// issue tells, not its number.
	subject := is.Subject
	if subject == "" {
		subject = is.Headline()
	}
	if is.covered != nil {
		subject = is.Title // a weekly digest's, made with it
	}
	if test {
		subject = "[TEST] " + subject
	}
	if err := checkHeaderText("subject", subject); err != nil {
		return nil, err
	}
	r := &rendered{subject: subject}
	var err error
	data.Subscriber = SubscriberData{Email: placeholderEmail, Name: placeholderName, FirstName: placeholderFirst}
	if r.withName, err = n.renderParts(data); err != nil {
		return nil, err
	}
	data.Subscriber.Name, data.Subscriber.FirstName = "", ""
	if r.noName, err = n.renderParts(data); err != nil {
		return nil, err
	}
	return r, nil
}

func (n *Newsletter) renderParts(data MessageData) (parts, error) {
	data.UnsubscribeURL, data.PreferencesURL = placeholderUnsub, placeholderPrefs
	var hb, tb bytes.Buffer
	if err := n.tmpl.issueHTML.Execute(&hb, data); err != nil {
		return parts{}, fmt.Errorf("render %s: %w", issueHTMLTemplate, err)
	}
	if err := n.tmpl.issueText.Execute(&tb, data); err != nil {
		return parts{}, fmt.Errorf("render %s: %w", issueTextTemplate, err)
	}
	inlined, err := inlineCSS(hb.String())
	if err != nil {
		return parts{}, err
	}
	p := parts{html: cut(inlined), text: cut(tb.String())}
	// A message without a working unsubscribe link must not go out.
	for name, body := range map[string]*pieces{issueHTMLTemplate: &p.html, issueTextTemplate: &p.text} {
		if !body.has(fieldUnsub) {
			return parts{}, fmt.Errorf("template %s does not show .UnsubscribeURL", name)
		}
	}
	return p, nil
}

func inlineCSS(doc string) (string, error) {
	p, err := premailer.NewPremailerFromString(doc, premailer.NewOptions(premailer.WithKeepBangImportant(true)))
	if err != nil {
		return "", fmt.Errorf("inline CSS: %w", err)
	}
	out, err := p.Transform()
	if err != nil {
		return "", fmt.Errorf("inline CSS: %w", err)
	}
	return out, nil
}

// personalize fills the per-subscriber values into the rendered issue.
func (r *rendered) personalize(email, name, unsubscribeURL, preferencesURL string) (htmlBody, textBody string) {
	pc := r.personal(email, name, unsubscribeURL, preferencesURL)
	return pc.p.html.string(&pc.html), pc.p.text.string(&pc.text)
}

func (n *Newsletter) issueData(is mailing, test bool) MessageData {
	d := MessageData{
		Site:  n.siteData(),
		Issue: IssueData{Number: is.Number, Title: is.Headline(), Date: is.CreatedAt, URL: n.issueURL(is.Number)},
		Test:  test,
		Theme: n.opts.Theme,
	}
	if intro := markdown.Normalize(is.Intro); intro != "" {
		d.Intro, d.IntroHTML = intro, htmltemplate.HTML(markdown.HTML(intro))
	}
	titles := make([]string, 0, len(is.Entries))
	for _, e := range is.Entries {
		d.Entries = append(d.Entries, n.entryData(e))
		titles = append(titles, e.Title)
	}
	if is.covered != nil {
		// A weekly digest: no page of its own, the archive instead; each
		// entry says which issue it is from.
		d.Weekly, d.Issue.URL = true, d.Site.URL
		d.Issues = make([]IssueData, len(is.covered))
		for i, c := range is.covered {
			d.Issues[i] = IssueData{Number: c.Number, Title: c.Title, Date: c.CreatedAt, URL: n.issueURL(c.Number)}
		}
		for i, e := range is.Entries {
			for k := range d.Issues {
				if d.Issues[k].Number == e.IssueNumber {
					d.Entries[i].Issue = &d.Issues[k]
				}
			}
		}
	}
	// The preview line, after the subject that names the lead story, is
	// what it is about; the weekly digest's names the issues' stories.
	switch {
	case is.covered != nil:
		d.Issue.Title = is.Title
		d.Preheader = truncate("This week: "+strings.Join(titles, " · "), 140)
	case len(d.Entries) > 0:
		d.Preheader = truncate(d.Entries[0].Teaser, 140)
	}
	return d
}

// siteData is the newsletter as templates see it.
func (n *Newsletter) siteData() Site {
	s := Site{Title: n.opts.SiteTitle, Description: n.opts.SiteDescription, URL: n.site.String() + "/", Logo: n.opts.SiteLogo}
	if s.Title == "" {
		s.Title = n.from.Name
	}
	return s
}

func (n *Newsletter) entryData(e store.Entry) EntryData {
	also := e.Also[:min(len(e.Also), maxAlso)]
	ed := EntryData{Title: e.Title, URL: e.URL, Source: e.Source, Author: e.Author,
		Published: e.Published, Summary: e.Summary, Teaser: e.Teaser, Also: also, AlsoMore: len(e.Also) - len(also)}
	if ed.Teaser == "" && len(ed.Summary) > 0 {
		ed.Teaser = ed.Summary[0]
	}
	if p := e.Earlier; p != nil && p.IssueNumber > 0 {
		ed.Earlier = &EarlierData{Title: p.Title, Issue: p.IssueNumber, URL: n.earlierURL(p)}
		if ed.Earlier.Title == "" && len(p.Summary) > 0 {
			ed.Earlier.Title = p.Summary[0]
		}
		if e.StoryID != 0 {
			ed.Earlier.StoryURL = n.site.String() + fmt.Sprintf(n.opts.StoryPath, e.StoryID)
		}
	}
	if n.opts.Images {
		// Linked, never fetched: https only, which every client shows
		// without warning (or http for a site that is itself on http).
		if im := source.CleanImage(e.Image); im.URL != "" && (strings.HasPrefix(im.URL, "https:") || n.site.Scheme == "http") {
			ed.Image = &ImageData{URL: im.URL, Width: im.Width, Height: im.Height, Alt: im.Alt}
		}
	}
	return ed
}

// firstName is the first word of a name, for a greeting.
func firstName(name string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return ""
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	return strings.TrimSpace(string(r)) + "…"
}

// wrap breaks s into lines of at most 72 characters, each indented by
// indent spaces, for the plain-text part.
func wrap(indent int, s string) string {
	pad := strings.Repeat(" ", indent)
	var b strings.Builder
	line := 0
	for _, w := range strings.Fields(s) {
		wl := utf8.RuneCountInString(w)
		switch {
		case line == 0:
			b.WriteString(pad)
			line = indent
		case line+1+wl > 72:
			b.WriteString("\n" + pad)
			line = indent
		default:
			b.WriteByte(' ')
			line++
		}
		b.WriteString(w)
		line += wl
	}
	return b.String()
}
