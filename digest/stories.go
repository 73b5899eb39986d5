package digest

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/bulletin-app/bulletin/store"
)

// duplicatesOf decides which of entries (the unissued ones, newest first)
// tell the story of a recently issued entry (issued, newest first) or of an
// older entry among entries: the result maps each such entry's id to the id
// of the first report of its story. An entry is compared with the stories
// told so far, in order: the issued ones, then the entries kept, oldest
// first; the first whose set cosine reaches duplicateSimilarity wins.
//
// Comparing each entry with every story told would cost the square of the
// number of entries (a first import of 10,000 articles made 50 million
// comparisons). Instead the stories are kept in an inverted index of their
// rarest terms (prefix filtering, as in Bayardo et al., "Scaling up all
// pairs similarity search", WWW 2007), and an entry is scored only against
// the stories that share one of its own rarest terms. The index misses no
// story that reaches the threshold: if two sets have a cosine of at least t
// they share at least t²·|A| terms, so with the terms of every set ordered
// the same way, rarest first, the first |A| − ⌈t²·|A|⌉ + 1 terms of one and
// those of the other have a term in common. The candidates are then scored
// exactly as before, and the earliest one that reaches the threshold is
// taken, so the merges are the same as those of comparing with every story.
func duplicatesOf(issued, entries []store.Entry) map[int64]int64 {
	dups := map[int64]int64{}
	if len(entries) == 0 {
		return dups
	}
	ti := newTermIndex()
	bagOf := func(e store.Entry) bag {
		return newBag(contentTerms(e.Title+"\n"+strings.Join(e.Summary, " "), ti, nil))
	}
	issuedBags := make([]bag, len(issued))
	for i, e := range issued {
		issuedBags[i] = bagOf(e)
	}
	// Oldest first, so that the first report of a story is the one kept.
	newBags := make([]bag, len(entries))
	for i := range entries {
		newBags[i] = bagOf(entries[len(entries)-1-i])
	}

	// Document frequency over every set, to order terms rarest first.
	df := make([]int32, ti.size())
	for _, bs := range [][]bag{issuedBags, newBags} {
		for _, b := range bs {
			for _, id := range b.ids {
				df[id]++
			}
		}
	}
	idx := storyIndex{df: df, postings: make([][]posting, ti.size())}
	for i, b := range issuedBags {
		idx.add(issued[i].ID, b)
	}
	for i, b := range newBags {
		e := entries[len(entries)-1-i]
		if of, ok := idx.find(b); ok {
			dups[e.ID] = of
			continue
		}
		idx.add(e.ID, b)
	}
	return dups
}

// storyIndex holds the stories told so far, each under the terms of its
// prefix.
type storyIndex struct {
	df       []int32     // term id → how many sets hold it
	postings [][]posting // term id → the stories whose prefix holds it
	ids      []int64     // story → entry id
	bags     []bag       // story → its terms
	// Per story, for the probe under way: the probe that last met it (its
	// number plus one), and the terms it shares with the probe's prefix so
	// far, or -1 once it cannot reach the threshold.
	met    []int32
	shared []int32
	probes int32
	buf    []int32
	cands  []int32
}

// posting is one story under one term: pos is the term's place in the
// story's terms, rarest first.
type posting struct{ story, pos int32 }

// minShared is the fewest terms two sets of n and m terms share when their
// set cosine reaches duplicateSimilarity, rounded down for safety (a lower
// bound only lets more candidates through to the exact score).
func minShared(n, m int) int32 {
	return int32(math.Ceil(duplicateSimilarity*math.Sqrt(float64(n)*float64(m)) - 1e-6))
}

// prefixLen is how many of the terms of a set of n are indexed and
// probed: n − ⌈t²·n⌉ + 1, with a margin for rounding (a longer prefix only
// adds candidates).
func prefixLen(n int) int {
	minOverlap := int(math.Ceil(duplicateSimilarity*duplicateSimilarity*float64(n) - 1e-6))
	return min(n, max(1, n-minOverlap+1))
}

// prefix returns the terms of b rarest first, and the length of its
// prefix.
func (x *storyIndex) prefix(b bag) ([]int32, int) {
	p := prefixLen(len(b.ids))
	x.buf = append(x.buf[:0], b.ids...)
	slices.SortFunc(x.buf, func(a, c int32) int {
		if d := cmp.Compare(x.df[a], x.df[c]); d != 0 {
			return d
		}
		return cmp.Compare(a, c)
	})
	return x.buf, p
}

func (x *storyIndex) add(id int64, b bag) {
	s := int32(len(x.ids))
	x.ids = append(x.ids, id)
	x.bags = append(x.bags, b)
	x.met = append(x.met, 0)
	x.shared = append(x.shared, 0)
	if len(b.ids) == 0 {
		return // matches nothing, ever (setCosine is 0)
	}
	terms, p := x.prefix(b)
	for i, t := range terms[:p] {
		x.postings[t] = append(x.postings[t], posting{s, int32(i)})
	}
}

// find returns the id of the earliest story whose set cosine with b
// reaches duplicateSimilarity.
//
// Walking the postings of its prefix, it counts the terms each story
// shares with it, and drops a story as soon as the terms left on either
// side could no longer make up the overlap the threshold needs (the
// positional filter of Xiao et al., "Efficient similarity joins for near
// duplicate detection", WWW 2008): the terms are in the same order in
// every set, so the shared terms met so far are all those before the
// current ones. Only the stories left are scored, and of those only the
// ones that share enough of their prefix: the first k shared terms of two
// sets that share o lie in the prefixes of both as long as k ≤ o − (n − p)
// for each set's size n and prefix length p, so a story that reaches the
// threshold shares at least minShared − max(n − p) terms of the two
// prefixes.
func (x *storyIndex) find(b bag) (int64, bool) {
	n := len(b.ids)
	if n == 0 {
		return 0, false
	}
	x.probes++
	terms, p := x.prefix(b)
	cands := x.cands[:0]
	for i, t := range terms[:p] {
		for _, ps := range x.postings[t] {
			s := ps.story
			if x.met[s] != x.probes {
				x.met[s] = x.probes
				x.shared[s] = 0
				cands = append(cands, s)
			} else if x.shared[s] < 0 {
				continue
			}
			m := len(x.bags[s].ids)
			if x.shared[s]+1+int32(min(n-i-1, m-int(ps.pos)-1)) < minShared(n, m) {
				x.shared[s] = -1
				continue
			}
			x.shared[s]++
		}
	}
	// The candidates that share enough, earliest first.
	keep := cands[:0]
	for _, s := range cands {
		m := len(x.bags[s].ids)
		if x.shared[s] >= 0 && x.shared[s] >= minShared(n, m)-int32(max(n-p, m-prefixLen(m))) {
			keep = append(keep, s)
		}
	}
	x.cands = cands
	slices.Sort(keep)
	for _, s := range keep {
		if setCosine(b, x.bags[s]) >= duplicateSimilarity {
			return x.ids[s], true
		}
	}
	return 0, false
}
