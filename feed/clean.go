package feed

import (
	"html"
	"net/url"
	"strings"

	"github.com/microcosm-cc/bluemonday"
)

// Policies are safe for concurrent use once built.
var (
	// stripAll removes every tag and drops the text inside script, style and
	// the like, for fields that are meant to be plain text.
	stripAll = bluemonday.StrictPolicy()
	// ugc is the policy for HTML that reaches a feed or a page.
	ugc = bluemonday.UGCPolicy()
)

// xmlText removes what XML 1.0 cannot carry (NUL and the other C0
// controls, lone surrogates, U+FFFE/U+FFFF) and the C1 controls that only
// ever come from mis-decoded text. Everything else, emoji and right-to-left
// marks included, passes unchanged.
func xmlText(s string) string {
	clean := true
	for _, r := range s {
		if !xmlAllowed(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if xmlAllowed(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func xmlAllowed(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return false
	case r == 0xfffd:
		// Also what invalid UTF-8 decodes to: dropping it removes bad bytes.
		return false
	case r >= 0xd800 && r <= 0xdfff, r == 0xfffe, r == 0xffff, r > 0x10ffff:
		return false
	}
	return true
}

// plainText cleans a field that should hold plain text (a title, a summary
// sentence, a name). Text that carries markup loses its tags, and scripts
// and styles lose their content, so that a reader rendering the field as
// HTML finds nothing to run.
func plainText(s string) string {
	s = xmlText(s)
	if strings.ContainsAny(s, "<&") {
		s = xmlText(html.UnescapeString(stripAll.Sanitize(s)))
	}
	return strings.TrimSpace(s)
}

// safeHTML sanitizes HTML for a feed or a page.
func safeHTML(s string) string {
	return xmlText(ugc.Sanitize(xmlText(s)))
}

// webURL returns s if it is an absolute http or https URL, else "": other
// schemes (javascript:, data:) never become a link.
func webURL(s string) string {
	s = strings.TrimSpace(xmlText(s))
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}
