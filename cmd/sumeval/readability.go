package main

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode"

	"github.com/bulletin-app/bulletin/digest/rouge"
)

// These measures are written apart from the summarizer's own rules on
// purpose: they judge its output as a reader would, from the summary and the
// article alone.

// danglingOpeners are words that, opening a sentence, point back to text the
// reader has not seen when that text is not the sentence before: personal
// and demonstrative pronouns, and connectives.
var danglingOpeners = map[string]bool{
	"he": true, "she": true, "it": true, "they": true, "him": true, "them": true,
	"his": true, "her": true, "its": true, "their": true, "theirs": true,
	"this": true, "that": true, "these": true, "those": true,
	"but": true, "and": true, "or": true, "nor": true, "so": true, "yet": true,
	"however": true, "also": true, "meanwhile": true, "still": true, "instead": true,
	"moreover": true, "furthermore": true, "besides": true, "then": true, "thus": true,
	"therefore": true, "nevertheless": true, "nonetheless": true, "indeed": true,
	"likewise": true, "similarly": true, "otherwise": true, "conversely": true,
	"plus": true, "though": true, "hence": true, "consequently": true, "additionally": true,
}

// agency matches a wire dateline that opens a raw article ("(CNN)",
// "LONDON, England (CNN) --"): not words a reader reads as the sentence's
// first.
var agency = regexp.MustCompile(`^[^()]{0,40}\([A-Z][A-Za-z.& ]{0,30}\)\s*(?:-+\s*)?`)

// opensDangling reports whether a sentence opens with a pronoun or a
// connective ("He said", "But", "However,").
func opensDangling(s string) bool {
	if loc := agency.FindStringIndex(s); loc != nil {
		s = s[loc[1]:]
	}
	w := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' && r != '’' })
	if len(w) == 0 {
		return false
	}
	first := strings.ToLower(strings.Trim(w[0], "'’"))
	if k := strings.IndexAny(first, "'’"); k > 0 {
		first = first[:k] // "They're", "It's"
	}
	return danglingOpeners[first]
}

// normSpace collapses runs of white space, so that a sentence can be found in
// the article it came from.
func normSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// locate returns where sentence s starts in the whitespace-normalized article
// text, looking first from index from on (a sentence may occur twice, as in
// a caption and then in the story), or -1. A sentence the summarizer changed
// (a full stop added to a highlight, a "(pictured)" cut) is found by its
// first 40 characters or, failing that, its first three words.
func locate(article, s string, from int) int {
	s = normSpace(s)
	find := func(t string) int {
		if from >= 0 && from < len(article) {
			if k := strings.Index(article[from:], t); k >= 0 {
				return from + k
			}
		}
		return strings.Index(article, t)
	}
	if k := find(s); k >= 0 {
		return k
	}
	r := []rune(s)
	prefix := strings.TrimRight(s, ".!?")
	if len(r) > 40 {
		prefix = string(r[:40])
	}
	if prefix == "" {
		return -1
	}
	if k := find(prefix); k >= 0 {
		return k
	}
	// Cut inside its first 40 characters: its first three words.
	if w := strings.Fields(s); len(w) >= 3 {
		return find(strings.Join(w[:3], " ") + " ")
	}
	return -1
}

// readability is the share of summaries with each fault.
type readability struct {
	n int
	// opensDangling: the first sentence opens with a pronoun or connective,
	// which nothing before it resolves.
	opensDangling int
	// anyDangling: some sentence opens with one and does not follow, in the
	// summary, the text it follows in the article.
	anyDangling int
	// outOfOrder: the sentences are not in the article's order.
	outOfOrder int
	// sameAsLead3: the summary is Lead-3, token for token as ROUGE sees it.
	sameAsLead3 int
	// sameAsLead3Clean: the summary is the article's first three sentences
	// as the summarizer's cleaner keeps them.
	sameAsLead3Clean int
	// ledeKept: the summary includes the first sentence the cleaner keeps.
	ledeKept int
}

// add judges one summary of an article; kept are the article's sentences as
// the cleaner keeps them, lead is its Lead-3.
func (r *readability) add(article string, summary, kept, lead []string) {
	r.n++
	if len(summary) == 0 {
		return
	}
	art := normSpace(article)
	if opensDangling(summary[0]) {
		r.opensDangling++
	}
	pos := make([]int, len(summary))
	for i, s := range summary {
		from := 0
		if i > 0 && pos[i-1] >= 0 {
			from = pos[i-1] + 1
		}
		pos[i] = locate(art, s, from)
	}
	dangling := false
	ordered := true
	for i, s := range summary {
		if i > 0 && pos[i] >= 0 && pos[i-1] >= 0 && pos[i] <= pos[i-1] {
			// A sentence not found (rewritten beyond recognition) is not
			// judged.
			ordered = false
		}
		if opensDangling(s) && (i == 0 || !adjacent(art, pos[i-1], summary[i-1], pos[i])) {
			dangling = true
		}
	}
	if dangling {
		r.anyDangling++
	}
	if !ordered {
		r.outOfOrder++
	}
	if strings.Join(rouge.Tokens(strings.Join(summary, " ")), " ") == strings.Join(rouge.Tokens(strings.Join(lead, " ")), " ") {
		r.sameAsLead3++
	}
	if len(kept) > 0 && sameSentences(summary, kept[:min(3, len(kept))]) {
		r.sameAsLead3Clean++
	}
	if len(kept) > 0 && strings.Contains(normSpace(strings.Join(summary, " ")), normSpace(kept[0])) {
		r.ledeKept++
	}
}

// adjacent reports whether the sentence at b follows sentence a, found at
// pa, with nothing but white space between them in the article.
func adjacent(art string, pa int, a string, b int) bool {
	if pa < 0 || b < 0 {
		return false
	}
	end := pa + len(normSpace(a))
	return end <= b && strings.TrimSpace(art[end:b]) == ""
}

func sameSentences(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if normSpace(a[i]) != normSpace(b[i]) {
			return false
		}
	}
	return true
}

func pct(k, n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(k)/float64(n))
}

func readabilityHeader(w io.Writer) {
	fmt.Fprintf(w, "%-12s %9s %9s %9s %9s %9s %9s\n", "system", "opens-dgl", "any-dgl", "unordered", "=lead3", "=lead3cl", "lede-kept")
}

func (r readability) row(w io.Writer, name string) {
	fmt.Fprintf(w, "%-12s %9s %9s %9s %9s %9s %9s\n", name, pct(r.opensDangling, r.n), pct(r.anyDangling, r.n),
		pct(r.outOfOrder, r.n), pct(r.sameAsLead3, r.n), pct(r.sameAsLead3Clean, r.n), pct(r.ledeKept, r.n))
}

const readabilityLegend = `opens-dgl: first sentence opens with a pronoun or connective ("He said", "But", "However");
any-dgl: some sentence does and does not follow its own predecessor; unordered: sentences out of the
article's order; =lead3: the summary is Lead-3 (ROUGE tokens); =lead3cl: it is the first three
sentences the cleaner keeps; lede-kept: it includes the first sentence the cleaner keeps.
`
