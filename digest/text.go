package digest

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bulletin-app/bulletin/digest/internal/porter"
)

// stopwords are left out of similarity: they say nothing about the topic.
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above after again against all also am an and any are
		as at be because been before being below between both but by can could did do does doing
		down during each few for from further had has have having he her here hers herself him
		himself his how i if in into is it its itself just me more most my myself no nor not now of
		off on once only or other our ours ourselves out over own same she should so some such than
		that the their theirs them themselves then there these they this those through to too under
		until up very was we were what when where which while who whom why will with would you your
		yours yourself yourselves said says say told according one two new like get got many much
		may might must shall last year years mr mrs ms s t`) {
		m[w] = true
	}
	return m
}()

// termIndex gives each distinct stem of one document a small integer, and
// remembers the stem of each surface word so that each is stemmed once.
type termIndex struct {
	stems   map[string]int32
	surface map[string]int32 // word → term id; -1 for a stopword
}

func newTermIndex() *termIndex {
	return &termIndex{stems: map[string]int32{}, surface: map[string]int32{}}
}

func (ti *termIndex) size() int { return len(ti.stems) }

// term returns the id of a lower-case word's stem, or -1 for a stopword.
func (ti *termIndex) term(w []byte) int32 {
	if id, ok := ti.surface[string(w)]; ok {
		return id
	}
	word := string(w)
	id := int32(-1)
	if len(w) >= 2 && !stopwords[word] {
		st := stemWord(word)
		var ok bool
		if id, ok = ti.stems[st]; !ok {
			id = int32(len(ti.stems))
			ti.stems[st] = id
		}
	}
	ti.surface[word] = id
	return id
}

// contentTerms appends to buf the term ids of the words of s that carry
// meaning.
func contentTerms(s string, ti *termIndex, buf []int32) []int32 {
	var wb [64]byte
	forEachWord(s, wb[:0], func(w []byte) {
		if id := ti.term(w); id >= 0 {
			buf = append(buf, id)
		}
	})
	return buf
}

func stemWord(w string) string {
	if len(w) <= 3 {
		return w
	}
	for i := 0; i < len(w); i++ {
		if w[i] >= 0x80 {
			return w
		}
	}
	return porter.Stem(w)
}

// forEachWord calls f with each lower-cased run of letters and digits in s,
// reusing buf; f must not keep the slice. Apostrophes inside a word are
// dropped ("Trump's" gives "trumps", whose stem is "trump").
func forEachWord(s string, buf []byte, f func([]byte)) {
	b := buf[:0]
	for _, r := range s {
		switch {
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9'):
			b = append(b, byte(r))
		case r < 0x80 && r >= 'A' && r <= 'Z':
			b = append(b, byte(r+'a'-'A'))
		case r == '\'' || r == '\u2019':
			// inside a word: skip, keeping the word whole
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b = utf8.AppendRune(b, unicode.ToLower(r))
		default:
			if len(b) > 0 {
				f(b)
				b = b[:0]
			}
		}
	}
	if len(b) > 0 {
		f(b)
	}
}
