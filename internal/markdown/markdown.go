// Package markdown renders the Markdown an editor writes (an issue's
// introduction) as HTML that is safe in an email, a page and a feed: it
// goes through goldmark, which leaves raw HTML out, and then through
// bluemonday's policy for user content.
package markdown

import (
	"bytes"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

var (
	// Raw HTML in the source is not rendered (goldmark's default, without
	// html.WithUnsafe): it shows as a comment, which the policy removes.
	md = goldmark.New(goldmark.WithExtensions(extension.Linkify, extension.Strikethrough))
	// Scripts, styles, forms, event handlers and javascript: links never
	// pass. The editor's links are the publication's own: no rel=nofollow.
	policy = func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy()
		p.RequireNoFollowOnLinks(false)
		return p
	}()
)

// HTML renders src as sanitized HTML; "" for an empty or blank source.
func HTML(src string) string {
	src = Normalize(src)
	if src == "" {
		return ""
	}
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		// goldmark fails only when writing to buf does, which it cannot:
		// show the text, escaped, rather than nothing.
		return policy.Sanitize("<p>" + strings.ReplaceAll(src, "<", "&lt;") + "</p>")
	}
	return strings.TrimSpace(policy.Sanitize(buf.String()))
}

// Normalize is src as stored and shown in plain text: line ends as "\n",
// no blank lines before or after, and nothing at all when it is blank.
// Blanks at the ends of lines stay: two make a line break.
func Normalize(src string) string {
	src = strings.ReplaceAll(strings.ReplaceAll(src, "\r\n", "\n"), "\r", "\n")
	if strings.TrimSpace(src) == "" {
		return ""
	}
	lines := strings.Split(src, "\n")
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}
