// Package porter is the Porter stemmer as NLTK implements it (its default
// NLTK_EXTENSIONS mode), so that scores computed in Go match the reference
// ROUGE scorer, which stems with NLTK.
package porter

// irregular holds NLTK's table of irregular forms, looked up before any rule.
var irregular = map[string]string{
	"sky": "sky", "skies": "sky",
	"dying": "die", "lying": "lie", "tying": "tie",
	"news":    "news",
	"innings": "inning", "inning": "inning",
	"outings": "outing", "outing": "outing",
	"cannings": "canning", "canning": "canning",
	"howe":    "howe",
	"proceed": "proceed", "exceed": "exceed", "succeed": "succeed",
}

// Stem returns the stem of a lower-case word. Words of one or two bytes are
// returned unchanged, as NLTK does.
func Stem(word string) string {
	if s, ok := irregular[word]; ok {
		return s
	}
	if len(word) <= 2 {
		return word
	}
	w := []byte(word)
	w = step1a(w)
	w = step1b(w)
	w = step1c(w)
	w = step2(w)
	w = step3(w)
	w = step4(w)
	w = step5a(w)
	w = step5b(w)
	return string(w)
}

func isCons(w []byte, i int) bool {
	switch w[i] {
	case 'a', 'e', 'i', 'o', 'u':
		return false
	case 'y':
		if i == 0 {
			return true
		}
		return !isCons(w, i-1)
	}
	return true
}

// measure counts the vowel-consonant transitions ("vc") of the stem.
func measure(w []byte) int {
	m := 0
	prevVowel := false
	for i := range w {
		c := isCons(w, i)
		if c && prevVowel {
			m++
		}
		prevVowel = !c
	}
	return m
}

func hasVowel(w []byte) bool {
	for i := range w {
		if !isCons(w, i) {
			return true
		}
	}
	return false
}

func endsDouble(w []byte) bool {
	n := len(w)
	return n >= 2 && w[n-1] == w[n-2] && isCons(w, n-1)
}

func endsCVC(w []byte) bool {
	n := len(w)
	if n >= 3 && isCons(w, n-3) && !isCons(w, n-2) && isCons(w, n-1) {
		switch w[n-1] {
		case 'w', 'x', 'y':
		default:
			return true
		}
	}
	return n == 2 && !isCons(w, 0) && isCons(w, 1)
}

func hasSuffix(w []byte, s string) bool {
	return len(w) >= len(s) && string(w[len(w)-len(s):]) == s
}

// rule is one suffix replacement; cond sees the word with the suffix removed.
type rule struct {
	suffix, repl string
	cond         func(stem []byte) bool
}

// apply applies the first rule whose suffix matches; when its condition fails
// no later rule is tried, as in NLTK.
func apply(w []byte, rules []rule) []byte {
	for _, r := range rules {
		if !hasSuffix(w, r.suffix) {
			continue
		}
		stem := w[:len(w)-len(r.suffix)]
		if r.cond == nil || r.cond(stem) {
			return append(stem[:len(stem):len(stem)], r.repl...)
		}
		return w
	}
	return w
}

func positive(stem []byte) bool { return measure(stem) > 0 }
func above1(stem []byte) bool   { return measure(stem) > 1 }

func step1a(w []byte) []byte {
	if hasSuffix(w, "ies") && len(w) == 4 {
		return append(w[:1:1], "ie"...)
	}
	return apply(w, []rule{{"sses", "ss", nil}, {"ies", "i", nil}, {"ss", "ss", nil}, {"s", "", nil}})
}

func step1b(w []byte) []byte {
	if hasSuffix(w, "ied") {
		if len(w) == 4 {
			return append(w[:1:1], "ie"...)
		}
		return append(w[:len(w)-3:len(w)-3], 'i')
	}
	if hasSuffix(w, "eed") {
		stem := w[:len(w)-3]
		if measure(stem) > 0 {
			return append(stem[:len(stem):len(stem)], "ee"...)
		}
		return w
	}
	var stem []byte
	found := false
	for _, suf := range []string{"ed", "ing"} {
		if hasSuffix(w, suf) {
			s := w[:len(w)-len(suf)]
			if hasVowel(s) {
				stem, found = s, true
				break
			}
		}
	}
	if !found {
		return w
	}
	stem = stem[:len(stem):len(stem)]
	for _, p := range [][2]string{{"at", "ate"}, {"bl", "ble"}, {"iz", "ize"}} {
		if hasSuffix(stem, p[0]) {
			return append(stem[:len(stem)-2:len(stem)-2], p[1]...)
		}
	}
	if endsDouble(stem) {
		last := stem[len(stem)-1]
		if last != 'l' && last != 's' && last != 'z' {
			return stem[:len(stem)-1]
		}
		return stem
	}
	if measure(stem) == 1 && endsCVC(stem) {
		return append(stem, 'e')
	}
	return stem
}

func step1c(w []byte) []byte {
	return apply(w, []rule{{"y", "i", func(stem []byte) bool {
		return len(stem) > 1 && isCons(stem, len(stem)-1)
	}}})
}

var step2Rules = []rule{
	{"ational", "ate", positive},
	{"tional", "tion", positive},
	{"enci", "ence", positive},
	{"anci", "ance", positive},
	{"izer", "ize", positive},
	{"bli", "ble", positive},
	{"alli", "al", positive},
	{"entli", "ent", positive},
	{"eli", "e", positive},
	{"ousli", "ous", positive},
	{"ization", "ize", positive},
	{"ation", "ate", positive},
	{"ator", "ate", positive},
	{"alism", "al", positive},
	{"iveness", "ive", positive},
	{"fulness", "ful", positive},
	{"ousness", "ous", positive},
	{"aliti", "al", positive},
	{"iviti", "ive", positive},
	{"biliti", "ble", positive},
	{"fulli", "ful", positive},
	// NLTK keeps the "l" of "logi" with the stem for the measure test.
	{"logi", "log", func(stem []byte) bool { return measure(append(stem[:len(stem):len(stem)], 'l')) > 0 }},
}

func step2(w []byte) []byte {
	if hasSuffix(w, "alli") && positive(w[:len(w)-4]) {
		return step2(append(w[:len(w)-4:len(w)-4], "al"...))
	}
	return apply(w, step2Rules)
}

var step3Rules = []rule{
	{"icate", "ic", positive},
	{"ative", "", positive},
	{"alize", "al", positive},
	{"iciti", "ic", positive},
	{"ical", "ic", positive},
	{"ful", "", positive},
	{"ness", "", positive},
}

func step3(w []byte) []byte { return apply(w, step3Rules) }

var step4Rules = []rule{
	{"al", "", above1},
	{"ance", "", above1},
	{"ence", "", above1},
	{"er", "", above1},
	{"ic", "", above1},
	{"able", "", above1},
	{"ible", "", above1},
	{"ant", "", above1},
	{"ement", "", above1},
	{"ment", "", above1},
	{"ent", "", above1},
	{"ion", "", func(stem []byte) bool {
		return measure(stem) > 1 && len(stem) > 0 && (stem[len(stem)-1] == 's' || stem[len(stem)-1] == 't')
	}},
	{"ou", "", above1},
	{"ism", "", above1},
	{"ate", "", above1},
	{"iti", "", above1},
	{"ous", "", above1},
	{"ive", "", above1},
	{"ize", "", above1},
}

func step4(w []byte) []byte { return apply(w, step4Rules) }

func step5a(w []byte) []byte {
	if hasSuffix(w, "e") {
		stem := w[:len(w)-1]
		m := measure(stem)
		if m > 1 || (m == 1 && !endsCVC(stem)) {
			return stem
		}
	}
	return w
}

func step5b(w []byte) []byte {
	if hasSuffix(w, "ll") && measure(w[:len(w)-1]) > 1 {
		return w[:len(w)-1]
	}
	return w
}
