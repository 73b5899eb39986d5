package digest

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Abbreviations that are followed by a name or a number and so never end a
// sentence ("Mr. Smith", "No. 2", "Gen. Allen").
var titleAbbrev = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "st": true,
	"jr": true, "sr": true, "gen": true, "col": true, "lt": true, "sgt": true,
	"capt": true, "cpl": true, "pvt": true, "maj": true, "adm": true, "cmdr": true,
	"gov": true, "sen": true, "rep": true, "rev": true, "hon": true, "pres": true,
	"supt": true, "det": true, "insp": true, "fr": true, "mt": true, "ft": true,
	"vs": true, "v": true, "no": true, "nos": true, "vol": true, "fig": true,
	"pp": true, "p": true, "approx": true, "ca": true, "cf": true, "e.g": true,
	"i.e": true, "ave": true, "blvd": true, "rd": true, "sq": true, "mx": true,
	"messrs": true, "mme": true, "mlle": true, "op": true, "art": true,
}

// Abbreviations that may end a sentence; they do when the next word looks like
// the start of one.
var endingAbbrev = map[string]bool{
	"jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true,
	"aug": true, "sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
	"inc": true, "ltd": true, "co": true, "corp": true, "plc": true, "llc": true,
	"etc": true, "bros": true, "dept": true, "univ": true, "est": true, "al": true,
}

// Words that, capitalised, almost always open a sentence. They decide the
// ambiguous cases: "in the U.S. The president" splits, "the U.S. Army" does not.
var sentenceOpeners = map[string]bool{
	"the": true, "a": true, "an": true, "he": true, "she": true, "it": true,
	"they": true, "we": true, "i": true, "you": true, "but": true, "and": true,
	"in": true, "on": true, "at": true, "this": true, "that": true, "these": true,
	"those": true, "there": true, "his": true, "her": true, "their": true,
	"its": true, "our": true, "my": true, "however": true, "after": true,
	"before": true, "when": true, "while": true, "if": true, "as": true,
	"so": true, "yet": true, "or": true, "for": true, "from": true, "with": true,
	"by": true, "meanwhile": true, "police": true, "officials": true,
	"some": true, "many": true, "one": true, "two": true, "now": true,
	"last": true, "earlier": true, "later": true, "today": true, "yesterday": true,
	"what": true, "why": true, "how": true, "who": true, "where": true, "also": true,
}

func isOpenQuote(r rune) bool {
	switch r {
	case '"', '\'', '\u2018', '\u201c', '(', '[', '\u00ab':
		return true
	}
	return false
}

func isCloseQuote(r rune) bool {
	switch r {
	case '"', '\'', '\u2019', '\u201d', ')', ']', '\u00bb':
		return true
	}
	return false
}

// SplitSentences splits one paragraph of plain text into sentences. It keeps
// abbreviations, initials, decimals and dotted acronyms inside a sentence,
// moves a closing quote to the sentence it ends, and splits where a full stop
// is followed by a capital with no space ("community.Dr Venter").
func SplitSentences(text string) []string {
	var out []string
	start := 0
	n := len(text)
	for i := 0; i < n; {
		r, size := utf8.DecodeRuneInString(text[i:])
		if r != '.' && r != '!' && r != '?' && r != '\u2026' {
			i += size
			continue
		}
		// Extend over a run of terminators and closing quotes.
		j := i + size
		for j < n {
			r2, s2 := utf8.DecodeRuneInString(text[j:])
			if r2 == '.' || r2 == '!' || r2 == '?' || r2 == '\u2026' || isCloseQuote(r2) {
				j += s2
				continue
			}
			break
		}
		end, next, ok := boundary(text, start, i, r, j)
		if ok {
			if s := strings.TrimSpace(text[start:end]); s != "" {
				out = append(out, s)
			}
			start = next
		}
		i = j
	}
	if s := strings.TrimSpace(text[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// boundary decides whether the terminator at i (run ending at j) ends a
// sentence; it returns where the sentence ends and the next begins.
func boundary(text string, start, i int, term rune, j int) (end, next int, ok bool) {
	k := j
	for k < len(text) {
		r, s := utf8.DecodeRuneInString(text[k:])
		if !unicode.IsSpace(r) {
			break
		}
		k += s
	}
	if k >= len(text) {
		return j, k, true
	}
	spaced := k > j
	nr, _ := utf8.DecodeRuneInString(text[k:])
	nextWord := wordAt(text, k)
	startsUpper := unicode.IsUpper(firstLetter(nextWord)) || unicode.IsDigit(nr)
	if !spaced {
		// "wrote.The" splits; "3.5", "U.S.A", "e.g.The" and "site.com" do not.
		if term != '.' && !isCloseQuote(lastRune(text[:j])) {
			// "?" or "!" glued to a word: only a capital starts a new sentence.
			if !unicode.IsUpper(nr) && !isOpenQuote(nr) {
				return 0, 0, false
			}
			return j, k, true
		}
		if j > i+1 && isCloseQuote(lastRune(text[:j])) {
			if !unicode.IsUpper(firstLetter(nextWord)) {
				return 0, 0, false
			}
			return j, k, true
		}
		if !unicode.IsUpper(nr) || !gluedStart(nextWord) {
			return 0, 0, false
		}
		prev := wordBefore(text, start, i)
		opener := sentenceOpeners[strings.ToLower(nextWord)]
		if !gluedEnd(text[start:i], prev) && !(opener && isCapitalized(prev) && !titleAbbrev[strings.ToLower(prev)]) {
			return 0, 0, false
		}
		return j, k, true
	}
	if !startsUpper && !isOpenQuote(nr) && nr != '\u2022' {
		return 0, 0, false
	}
	prev := wordBefore(text, start, i)
	opener := sentenceOpeners[strings.ToLower(strings.Trim(nextWord, "'\"\u2018\u201c("))]
	if term == '!' && j == i+1 && isInitial(prev) && !opener {
		// A lone capital with "!" is a name ("E! News"), not an
		// exclamation.
		return 0, 0, false
	}
	if term != '.' || j > i+1 && isCloseQuote(lastRune(text[:j])) {
		return j, k, true
	}
	lp := strings.ToLower(prev)
	switch {
	case titleAbbrev[lp]:
		return 0, 0, false
	case endingAbbrev[lp]:
		if unicode.IsDigit(nr) || !opener {
			return 0, 0, false
		}
	case isInitial(prev):
		// "John F. Kennedy", "J. K. Rowling"; a lone capital rarely ends one.
		if !opener {
			return 0, 0, false
		}
	case strings.Contains(prev, ".") && !isDecimal(prev):
		// Dotted acronyms: "U.S.", "a.m.", not prices ("$3.00.").
		if !opener {
			return 0, 0, false
		}
	}
	return j, k, true
}

// gluedEnd reports whether a full stop with no space after it ends a
// sentence, judging by the text before it (before) and its last word
// (prev): a lower-case word ("home.Half"), a number ("in 1999.It"), an
// acronym ("11:00 BST.Ninety") or a closing quote ("priority\".He"), but
// not an abbreviation, a dotted acronym or a decimal ("Mr.Smith",
// "U.S.A", "e.g.The", "3.5").
func gluedEnd(before, prev string) bool {
	if prev == "" {
		return isCloseQuote(lastRune(before))
	}
	if titleAbbrev[strings.ToLower(prev)] {
		return false
	}
	lower, upper, digit := 0, 0, 0
	for _, r := range prev {
		switch {
		case unicode.IsLower(r):
			lower++
		case unicode.IsUpper(r):
			upper++
		case unicode.IsDigit(r):
			digit++
		case isCloseQuote(r) || r == '%':
		default:
			return false
		}
	}
	switch {
	case lower >= 2 && upper == 0 && digit == 0:
		return true
	case digit > 0 && lower == 0 && upper == 0:
		return true
	case upper >= 2 && lower == 0 && digit == 0:
		return true
	}
	return lower > 0 && isCloseQuote(lastRune(prev))
}

// isCapitalized reports whether w is a capital followed by one or more
// lower-case letters ("Whiplash").
func isCapitalized(w string) bool {
	r := []rune(w)
	return len(r) >= 2 && unicode.IsUpper(r[0]) && isLowerWord(string(r[1:]))
}

// gluedStart reports whether a word after a full stop with no space looks
// like the start of a sentence: a capital followed by a lower-case letter
// ("The", "Half"), or "A" or "I" on their own.
func gluedStart(w string) bool {
	if w == "A" || w == "I" || strings.HasPrefix(w, "A\u00a0") {
		return true
	}
	r := []rune(w)
	return len(r) >= 2 && unicode.IsUpper(r[0]) && unicode.IsLower(r[1])
}

// isDecimal reports whether w is a number with a decimal point, perhaps
// with a currency sign ("3.5", "$3.00").
func isDecimal(w string) bool {
	w = strings.TrimLeft(w, "$£€¥")
	dot := strings.IndexByte(w, '.')
	if dot <= 0 || dot == len(w)-1 {
		return false
	}
	for i, r := range w {
		if i != dot && !unicode.IsDigit(r) && r != ',' {
			return false
		}
	}
	return true
}

func isInitial(w string) bool {
	r, s := utf8.DecodeRuneInString(w)
	return s == len(w) && unicode.IsUpper(r)
}

func isLowerWord(w string) bool {
	for _, r := range w {
		if !unicode.IsLower(r) {
			return false
		}
	}
	return true
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

func firstLetter(w string) rune {
	for _, r := range w {
		if unicode.IsLetter(r) {
			return r
		}
		if !isOpenQuote(r) {
			return r
		}
	}
	return 0
}

// wordBefore returns the token ending at i (exclusive), not crossing start.
func wordBefore(text string, start, i int) string {
	b := i
	for b > start {
		r, s := utf8.DecodeLastRuneInString(text[:b])
		if unicode.IsSpace(r) || isOpenQuote(r) && r != '\'' {
			break
		}
		b -= s
	}
	return text[b:i]
}

// wordAt returns the token starting at k.
func wordAt(text string, k int) string {
	e := k
	for e < len(text) {
		r, s := utf8.DecodeRuneInString(text[e:])
		if unicode.IsSpace(r) {
			break
		}
		e += s
	}
	return text[k:e]
}
