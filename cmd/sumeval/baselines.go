package main

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bulletin-app/bulletin/digest"
)

// lead3 is the first three sentences, split exactly as the published Lead-3
// figures were: after . ! or ? (and one optional closing quote, which the
// split drops) where whitespace is followed by a capital, an opening quote or
// a parenthesis.
func lead3(article string) []string {
	s := strings.TrimSpace(article)
	var out []string
	start := 0
	for i := 0; i < len(s) && len(out) < 3; {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r != '.' && r != '!' && r != '?' {
			continue
		}
		end := i
		j := i
		if q, qs := utf8.DecodeRuneInString(s[j:]); strings.ContainsRune("'\u2019\u201d\"", q) && qs > 0 {
			j += qs
		}
		k := j
		for k < len(s) {
			w, ws := utf8.DecodeRuneInString(s[k:])
			if !unicode.IsSpace(w) {
				break
			}
			k += ws
		}
		if k == j || k >= len(s) {
			continue
		}
		if n, _ := utf8.DecodeRuneInString(s[k:]); n >= 'A' && n <= 'Z' || strings.ContainsRune("\u2018\u201c'\"(", n) {
			out = append(out, s[start:end])
			start = k
			i = k
		}
	}
	if len(out) < 3 && start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// firstSentence is the teaser baseline: the article's first sentence.
func firstSentence(article string) []string {
	for _, p := range strings.Split(article, "\n") {
		if ss := digest.SplitSentences(p); len(ss) > 0 {
			return ss[:1]
		}
	}
	return nil
}

// cleanLead3 is Lead-3 on equal footing with the default summarizer: the
// first three sentences left after the same cleaning (datelines, captions,
// bylines and page furniture removed).
func cleanLead3(e example) []string { return cleanLead(e, 3) }

// cleanLead returns the first n sentences the default summarizer's cleaner
// keeps, or all of them for n < 0.
func cleanLead(e example, n int) []string {
	var out []string
	for _, c := range digest.NewExtractive(digest.ExtractiveOptions{}).Prepare(digest.Document{Title: e.Title, Text: e.Article}).Candidates() {
		if len(out) == n {
			break
		}
		out = append(out, c.Text)
	}
	return out
}
