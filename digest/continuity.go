package digest

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/bulletin-app/bulletin/store"
)

// Stories that connect across issues: a new entry continues the story of
// an entry an earlier issue told when both are about the same people and
// the same subject, without being a copy (a copy is merged, see
// duplicateSimilarity). The rule, and how it was measured, is in
// docs/stories.md.
const (
	// continueNames is how many names two entries must share, each of
	// them rare among the entries compared.
	continueNames = 2
	// continueSimilarity is the least set cosine of the content words of
	// title and summary, the words of the names left out (subjectCosine),
	// at which two entries that share the names are taken for one story.
	// Two whose cosine with the names in reaches duplicateSimilarity are
	// one story told twice: merged, not linked.
	continueSimilarity = 0.10
	// storyWindow is how many of the latest issued entries a new entry is
	// compared with: a story may come back years later.
	storyWindow = 5000
	// maxNames bounds the names kept of one article.
	maxNames = 12
)

// StoryNames returns the names an article is about, most mentioned first:
// the two last words of each run of two or more capitalized words ("Kanye
// West", "President-elect Donald Trump" gives "donald trump") whose last
// word the article also uses alone, as it does a person's surname after
// the first mention ("West", "Trump"). Lower-cased, at most maxNames.
func StoryNames(title, text string) []string {
	return namesOf(clean(title, text).sentences)
}

// namesOf is StoryNames of an article's cleaned sentences.
func namesOf(sentences []sentence) []string {
	type name struct {
		full  string
		last  string
		count int
	}
	var names []name
	seen := map[string]int{} // full → index in names
	alone := map[string]int{}
	var run []string
	flush := func() {
		if len(run) >= 2 {
			full := strings.Join(run[len(run)-2:], " ")
			if i, ok := seen[full]; ok {
				names[i].count++
			} else {
				seen[full] = len(names)
				names = append(names, name{full: full, last: run[len(run)-1], count: 1})
			}
		}
		run = run[:0]
	}
	for _, s := range sentences {
		for w := range strings.FieldsSeq(s.text) {
			word := strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
			word = strings.TrimSuffix(strings.TrimSuffix(word, "'s"), "’s")
			if !isNameWord(word) {
				flush()
				continue
			}
			lw := strings.ToLower(word)
			alone[lw]++
			run = append(run, lw)
			// A run ends at punctuation: "Trump, West" are two names.
			if last, _ := lastRuneOf(w); !unicode.IsLetter(last) && !unicode.IsDigit(last) {
				flush()
			}
		}
		flush()
	}
	var out []name
	for _, n := range names {
		// The surname stands alone too: more mentions of it than of the
		// full name.
		if alone[n.last] > n.count {
			out = append(out, n)
		}
	}
	slices.SortStableFunc(out, func(a, b name) int { return cmp.Compare(alone[b.last], alone[a.last]) })
	var res []string
	for _, n := range out[:min(len(out), maxNames)] {
		res = append(res, n.full)
	}
	return res
}

// isNameWord says whether w reads as part of a name: a capital, then a
// lower-case letter (so not "NHS" nor "I"), and not a stopword ("The").
func isNameWord(w string) bool {
	r := []rune(w)
	if len(r) < 2 || !unicode.IsUpper(r[0]) || !unicode.IsLower(r[1]) {
		return false
	}
	return !stopwords[strings.ToLower(w)]
}

func lastRuneOf(s string) (rune, bool) {
	r := []rune(s)
	if len(r) == 0 {
		return 0, false
	}
	return r[len(r)-1], true
}

// continuationsOf decides which of entries (the new ones, about to go into
// an issue) continue the story of one of issued (entries of earlier issues,
// newest first): the result maps each such entry's id to the id of the
// issued entry it follows up. Of several, the one sharing most names is
// taken, then the more similar, then the newest.
func continuationsOf(issued, entries []store.Entry) map[int64]int64 {
	return storyRule{names: continueNames, rare: true, similarity: continueSimilarity}.continuations(issued, entries)
}

// storyRule is the rule of continuationsOf, with parts that a test may
// loosen to measure what each one is worth.
type storyRule struct {
	names      int     // names shared, at least
	rare       bool    // only names few of the entries compared hold count
	similarity float64 // the least subjectCosine
}

func (r storyRule) continuations(issued, entries []store.Entry) map[int64]int64 {
	out := map[int64]int64{}
	if len(issued) == 0 || len(entries) == 0 {
		return out
	}
	// How many of the entries compared hold each name: a name many of them
	// hold ("Premier League", "Manchester United") is a subject, not the
	// people of one story.
	df := map[string]int{}
	for _, es := range [][]store.Entry{issued, entries} {
		for _, e := range es {
			for _, n := range distinct(e.Names) {
				df[n]++
			}
		}
	}
	rare := max(2, (len(issued)+len(entries)+99)/100)
	if !r.rare {
		rare = math.MaxInt
	}
	byName := map[string][]int{} // name → indexes in issued
	for i, e := range issued {
		for _, n := range distinct(e.Names) {
			if df[n] <= rare {
				byName[n] = append(byName[n], i)
			}
		}
	}
	ti := newTermIndex()
	subjects := map[int]subject{}
	for _, e := range entries {
		shared := map[int]int{}
		for _, n := range distinct(e.Names) {
			if df[n] > rare {
				continue
			}
			for _, i := range byName[n] {
				shared[i]++
			}
		}
		if len(shared) == 0 {
			continue
		}
		mine := subjectOf(e, ti)
		best, bestShared, bestCos := -1, 0, 0.0
		for i, k := range shared {
			if k < r.names || issued[i].ID == e.ID {
				continue
			}
			sub, ok := subjects[i]
			if !ok {
				sub = subjectOf(issued[i], ti)
				subjects[i] = sub
			}
			if setCosine(mine.all, sub.all) >= duplicateSimilarity {
				continue // a copy: merged, not linked
			}
			c := subjectCosine(mine, sub)
			if c < r.similarity {
				continue
			}
			if best < 0 || k > bestShared || k == bestShared && (c > bestCos || c == bestCos && i < best) {
				best, bestShared, bestCos = i, k, c
			}
		}
		if best >= 0 {
			out[e.ID] = issued[best].ID
		}
	}
	return out
}

// subject is what an entry is about: the content words of its title and
// summary, and those of its names apart.
type subject struct {
	all   bag     // every content word, as duplicates are found
	names []int32 // the terms of its names, sorted
}

func subjectOf(e store.Entry, ti *termIndex) subject {
	s := subject{all: newBag(contentTerms(e.Title+"\n"+strings.Join(e.Summary, " "), ti, nil))}
	s.names = contentTerms(strings.Join(e.Names, " "), ti, nil)
	slices.Sort(s.names)
	s.names = slices.Compact(s.names)
	return s
}

// subjectCosine is the set cosine of the content words of two entries
// once the words of either's names are left out: the people two stories
// share do not make them one subject.
func subjectCosine(a, b subject) float64 {
	isName := func(id int32) bool {
		_, ina := slices.BinarySearch(a.names, id)
		_, inb := slices.BinarySearch(b.names, id)
		return ina || inb
	}
	var na, nb, both int
	i, j := 0, 0
	for i < len(a.all.ids) || j < len(b.all.ids) {
		switch {
		case j == len(b.all.ids) || i < len(a.all.ids) && a.all.ids[i] < b.all.ids[j]:
			if !isName(a.all.ids[i]) {
				na++
			}
			i++
		case i == len(a.all.ids) || b.all.ids[j] < a.all.ids[i]:
			if !isName(b.all.ids[j]) {
				nb++
			}
			j++
		default:
			if !isName(a.all.ids[i]) {
				na++
				nb++
				both++
			}
			i++
			j++
		}
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return float64(both) / math.Sqrt(float64(na)*float64(nb))
}

func distinct(names []string) []string {
	if len(names) < 2 {
		return names
	}
	out := slices.Clone(names)
	slices.Sort(out)
	return slices.Compact(out)
}

// LinkStories records, for each of entries (about to go into an issue)
// that continues the story of an entry of an earlier issue, which one (see
// store.Store.LinkEarlier), and returns entries with Earlier set.
func LinkStories(ctx context.Context, st *store.Store, entries []store.Entry) ([]store.Entry, error) {
	if len(entries) == 0 {
		return entries, nil
	}
	issued, err := st.IssuedBriefs(ctx, storyWindow)
	if err != nil {
		return nil, err
	}
	links := continuationsOf(issued, entries)
	if len(links) == 0 {
		return entries, nil
	}
	byID := make(map[int64]store.Entry, len(issued))
	for _, e := range issued {
		byID[e.ID] = e
	}
	out := slices.Clone(entries)
	for i, e := range out {
		of, ok := links[e.ID]
		if !ok {
			continue
		}
		if err := st.LinkEarlier(ctx, e.ID, of); err != nil {
			return nil, err
		}
		p := byID[of]
		out[i].Earlier = &store.Earlier{ID: p.ID, Title: p.Title, IssueNumber: p.IssueNumber, ArticleKey: p.ArticleKey, Summary: p.Summary}
	}
	return out, nil
}

// byImportance orders the entries of an issue (newest first) as readers
// see them, the lead story first: a story reported by more sources rises,
// and so does one that continues a story an earlier issue told; entries
// that rank alike stay newest first. sources lists the sources of the
// other reports merged into each entry. See docs/stories.md.
func byImportance(entries []store.Entry, sources map[int64][]string) []store.Entry {
	score := make(map[int64]int, len(entries))
	for _, e := range entries {
		seen := map[string]bool{}
		for _, s := range append([]string{e.Source}, sources[e.ID]...) {
			seen[strings.ToLower(strings.TrimSpace(s))] = true
		}
		score[e.ID] = len(seen)
		if e.Earlier != nil {
			score[e.ID]++
		}
	}
	out := slices.Clone(entries)
	slices.SortStableFunc(out, func(a, b store.Entry) int { return cmp.Compare(score[b.ID], score[a.ID]) })
	return out
}
