package source

import (
	"io"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// normalizeText tidies whitespace and nothing else: the words, bullets and
// captions stay as they were, because deciding what is noise is the
// summarizer's job. Lines are trimmed and their inner runs of spaces folded,
// line breaks inside a paragraph are kept, and paragraphs are separated by
// exactly one blank line.
func normalizeText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.TrimPrefix(s, "\uFEFF")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")

	var b strings.Builder
	b.Grow(len(s))
	blank := false // a blank line is pending
	for line := range strings.SplitSeq(s, "\n") {
		line = foldSpaces(line)
		if line == "" {
			blank = b.Len() > 0
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
			if blank {
				b.WriteByte('\n')
			}
		}
		blank = false
		b.WriteString(line)
	}
	return b.String()
}

// foldSpaces trims a line and folds each run of spaces (including
// no-break and other Unicode spaces) to one ASCII space. Control characters
// other than tab are dropped: they only ever come from broken encodings.
func foldSpaces(line string) string {
	var b strings.Builder
	space := false
	for _, r := range line {
		switch {
		case unicode.IsSpace(r) || r == '\u200b':
			space = true
			continue
		case unicode.IsControl(r), r == '\uFEFF':
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// isBidiControl reports the invisible characters that change the direction
// of the text around them: the embeddings and overrides (U+202A–U+202E),
// the isolates (U+2066–U+2069), and the marks (U+200E, U+200F, U+061C). In
// a title, a right-to-left override makes what is shown read other than
// what is written (a link that looks like "exe.jpg", a headline reversed),
// and an unbalanced one runs on into what the page shows after it.
func isBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069') ||
		r == '\u200E' || r == '\u200F' || r == '\u061C'
}

// singleLine tidies a field shown on one line (a title, an author, a
// name): whitespace, line breaks included, folded to single spaces, and
// control and direction-changing characters removed.
func singleLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexFunc(s, isBidiControl) >= 0 {
		s = strings.Map(func(r rune) rune {
			if isBidiControl(r) {
				return -1
			}
			return r
		}, s)
	}
	return foldSpaces(s)
}

// unwrap joins the lines of hard-wrapped text (as editors and mail programs
// wrap it at 72 to 100 columns) back into paragraphs, so that a sentence
// broken over two lines is one sentence again. Text written a paragraph per
// line is left alone, and so are list items, which start a line of their own.
// s is normalized: paragraphs are separated by one blank line.
func unwrap(s string) string {
	lines := strings.Split(s, "\n")
	wrapped, long := 0, 0
	for i, l := range lines {
		n := utf8.RuneCountInString(l)
		if n > 120 {
			long++
		}
		// A wrapped line is followed by more of its paragraph.
		if n >= 40 && i+1 < len(lines) && lines[i+1] != "" {
			wrapped++
		}
	}
	if wrapped < 2 || long*10 > len(lines) {
		return s
	}
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			if l != "" && lines[i-1] != "" && !listItem.MatchString(l) {
				b.WriteByte(' ')
			} else {
				b.WriteByte('\n')
			}
		}
		b.WriteString(l)
	}
	return b.String()
}

// listItem matches the start of a bulleted or numbered list item.
var listItem = regexp.MustCompile(`^(?:[•·*\-–—▪►○●]\s|\d{1,3}[.)]\s)`)

// firstLine splits s into its first non-empty line and the rest.
func firstLine(s string) (first, rest string) {
	for s != "" {
		line, after, _ := strings.Cut(s, "\n")
		if strings.TrimSpace(line) != "" {
			return strings.TrimSpace(line), after
		}
		s = after
	}
	return "", ""
}

var tagLike = regexp.MustCompile(`<[a-zA-Z!/][^>]*>`)

// looksLikeHTML reports whether s holds markup rather than plain text. Feeds
// mix both (RSS descriptions are HTML, JSON Feed content_text is not), and
// plain text must keep its line breaks, which an HTML parse would fold.
func looksLikeHTML(s string) bool {
	return tagLike.MatchString(s)
}

// feedText turns a field of a feed (HTML or plain text, with entities) into
// normalized plain text.
// Markup escaped twice (a common feed bug) is unescaped once and then
// treated as markup, so no tag ever reaches the text.
func feedText(s string) string {
	if !looksLikeHTML(s) {
		s = html.UnescapeString(s)
		if !looksLikeHTML(s) {
			return normalizeText(s)
		}
	}
	return htmlToText(strings.NewReader(s))
}

// skipped elements hold no reader-visible text.
var skipped = map[atom.Atom]bool{
	atom.Head: true, atom.Script: true, atom.Style: true, atom.Noscript: true,
	atom.Template: true, atom.Iframe: true, atom.Svg: true, atom.Math: true,
	atom.Object: true, atom.Embed: true, atom.Canvas: true, atom.Select: true,
	atom.Button: true, atom.Form: true, atom.Input: true, atom.Textarea: true,
	atom.Audio: true, atom.Video: true, atom.Picture: true, atom.Map: true,
}

// blocks start and end a paragraph.
var blocks = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Blockquote: true,
	atom.Body: true, atom.Dd: true, atom.Details: true, atom.Dialog: true, atom.Div: true,
	atom.Dl: true, atom.Dt: true, atom.Fieldset: true, atom.Figcaption: true, atom.Figure: true,
	atom.Footer: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true,
	atom.H5: true, atom.H6: true, atom.Header: true, atom.Hr: true, atom.Main: true,
	atom.Nav: true, atom.Ol: true, atom.P: true, atom.Pre: true, atom.Section: true,
	atom.Summary: true, atom.Table: true, atom.Ul: true, atom.Html: true,
}

// lines start a new line without starting a paragraph.
var lines = map[atom.Atom]bool{atom.Li: true, atom.Tr: true, atom.Caption: true}

// htmlToText renders an HTML document or fragment as plain text: block
// elements become paragraphs, list items lines starting with "• ", and
// nothing of the markup itself survives. The html tokenizer never fails; at
// worst it yields the text it could make out.
func htmlToText(r io.Reader) string {
	w := &textWriter{}
	z := html.NewTokenizer(r)
	skip := 0 // depth inside skipped elements
	pre := 0  // depth inside <pre>
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return normalizeText(w.String())
		case html.TextToken:
			if skip == 0 {
				w.text(string(z.Text()), pre > 0)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if skipped[a] {
				if tt == html.StartTagToken && !voidElement(a) {
					skip++
				}
				continue
			}
			if skip > 0 {
				continue
			}
			switch {
			case a == atom.Br:
				w.newline()
			case a == atom.Pre:
				w.paragraph()
				if tt == html.StartTagToken {
					pre++
				}
			case blocks[a]:
				w.paragraph()
			case a == atom.Li:
				w.newline()
				w.raw("• ")
			case lines[a]:
				w.newline()
			case a == atom.Td || a == atom.Th:
				w.raw(" ")
			case a == atom.Img:
				// Images are not text; their alt is often a file name.
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if skipped[a] {
				if skip > 0 {
					skip--
				}
				continue
			}
			if skip > 0 {
				continue
			}
			switch {
			case a == atom.Pre:
				if pre > 0 {
					pre--
				}
				w.paragraph()
			case blocks[a]:
				w.paragraph()
			case lines[a]:
				w.newline()
			}
		}
	}
}

func voidElement(a atom.Atom) bool {
	switch a {
	case atom.Input, atom.Embed, atom.Img, atom.Br, atom.Hr, atom.Source, atom.Track, atom.Wbr:
		return true
	}
	return false
}

// textWriter collects text, folding whitespace outside <pre> the way a
// browser does.
type textWriter struct {
	strings.Builder
}

func (w *textWriter) text(s string, pre bool) {
	if pre {
		w.WriteString(s)
		return
	}
	var b strings.Builder
	space := w.atLineStart() // leading spaces of a line are dropped
	for _, r := range s {
		if unicode.IsSpace(r) && r != '\u00a0' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	w.WriteString(b.String())
}

func (w *textWriter) atLineStart() bool {
	s := w.String()
	return s == "" || s[len(s)-1] == '\n'
}

func (w *textWriter) raw(s string) { w.WriteString(s) }

// newline ends the current line, if one is open.
func (w *textWriter) newline() {
	if !w.atLineStart() {
		w.WriteByte('\n')
	}
}

// paragraph ends the current paragraph, if one is open.
func (w *textWriter) paragraph() {
	s := w.String()
	if s == "" || strings.HasSuffix(s, "\n\n") {
		return
	}
	w.newline()
	w.WriteByte('\n')
}

// truncateRunes shortens s to at most n runes, for error messages that quote
// input.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
