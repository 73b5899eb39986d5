package digest

import (
	"context"
	"math"
	"slices"
	"strings"
)

// maxGraphSentences bounds the similarity graph, which grows with the square
// of the sentence count; a summary comes from the first part of a long
// article anyway.
const maxGraphSentences = 160

// bag is a sentence's terms, sorted, with counts.
type bag struct {
	ids    []int32
	counts []float64
	total  int // number of content terms, repeats included
}

func newBag(terms []int32) bag {
	t := slices.Clone(terms)
	slices.Sort(t)
	var b bag
	b.total = len(t)
	for i, id := range t {
		if i > 0 && t[i-1] == id {
			b.counts[len(b.counts)-1]++
			continue
		}
		b.ids = append(b.ids, id)
		b.counts = append(b.counts, 1)
	}
	return b
}

// overlap counts the distinct terms two bags share.
func overlap(a, b bag) int {
	n, i, j := 0, 0, 0
	for i < len(a.ids) && j < len(b.ids) {
		switch {
		case a.ids[i] == b.ids[j]:
			n++
			i++
			j++
		case a.ids[i] < b.ids[j]:
			i++
		default:
			j++
		}
	}
	return n
}

// cosine is the cosine similarity of two bags weighted by w (per term id).
func cosine(a, b bag, w []float64) float64 {
	var dot float64
	i, j := 0, 0
	for i < len(a.ids) && j < len(b.ids) {
		switch {
		case a.ids[i] == b.ids[j]:
			x := w[a.ids[i]]
			dot += a.counts[i] * b.counts[j] * x * x
			i++
			j++
		case a.ids[i] < b.ids[j]:
			i++
		default:
			j++
		}
	}
	if dot == 0 {
		return 0
	}
	return dot / (norm(a, w) * norm(b, w))
}

func norm(a bag, w []float64) float64 {
	var s float64
	for i, id := range a.ids {
		x := a.counts[i] * w[id]
		s += x * x
	}
	return math.Sqrt(s)
}

// pagerank scores the nodes of a weighted undirected graph given as a dense
// row-major matrix; rows with no edges spread their weight evenly.
func pagerank(sim []float64, n int, damping float64) []float64 {
	score := make([]float64, n)
	next := make([]float64, n)
	rowSum := make([]float64, n)
	for i := range n {
		score[i] = 1 / float64(n)
		for j := range n {
			rowSum[i] += sim[i*n+j]
		}
	}
	for range 40 {
		dangling := 0.0
		for i := range n {
			if rowSum[i] == 0 {
				dangling += score[i]
			}
		}
		base := (1-damping)/float64(n) + damping*dangling/float64(n)
		delta := 0.0
		for j := range n {
			s := 0.0
			for i := range n {
				if sim[i*n+j] != 0 {
					s += sim[i*n+j] / rowSum[i] * score[i]
				}
			}
			next[j] = base + damping*s
			delta += math.Abs(next[j] - score[j])
		}
		score, next = next, score
		if delta < 1e-6 {
			break
		}
	}
	return score
}

// TextRank is the plain TextRank summarizer of Mihalcea and Tarau (2004):
// sentences ranked by PageRank over word-overlap similarity, the top ones
// returned in reading order. It is kept as a baseline to measure against.
type TextRank struct {
	// Sentences is how many to return; 0 means 3.
	Sentences int
}

// Summarize implements Summarizer without any cleaning of the input.
func (t TextRank) Summarize(ctx context.Context, doc Document) (Summary, error) {
	k := t.Sentences
	if k <= 0 {
		k = 3
	}
	var sents []string
	for _, p := range splitParagraphs(doc.Text) {
		sents = append(sents, SplitSentences(p)...)
	}
	if len(sents) > maxGraphSentences {
		sents = sents[:maxGraphSentences]
	}
	n := len(sents)
	if n == 0 {
		return Summary{Method: "textrank"}, nil
	}
	ti := newTermIndex()
	bags := make([]bag, n)
	for i, s := range sents {
		bags[i] = newBag(contentTerms(s, ti, nil))
	}
	sim := make([]float64, n*n)
	for i := range n {
		for j := i + 1; j < n; j++ {
			o := overlap(bags[i], bags[j])
			if o == 0 || bags[i].total < 2 || bags[j].total < 2 {
				continue
			}
			v := float64(o) / (math.Log(float64(bags[i].total)) + math.Log(float64(bags[j].total)))
			sim[i*n+j], sim[j*n+i] = v, v
		}
	}
	score := pagerank(sim, n, 0.85)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case score[a] > score[b]:
			return -1
		case score[a] < score[b]:
			return 1
		}
		return 0
	})
	pick := order[:min(k, n)]
	slices.Sort(pick)
	out := Summary{Method: "textrank"}
	for _, i := range pick {
		out.Sentences = append(out.Sentences, sents[i])
	}
	out.Teaser = sents[order[0]]
	return out, nil
}

// splitParagraphs returns the non-empty lines of text, trimmed.
func splitParagraphs(text string) []string {
	var out []string
	for _, l := range strings.Split(spaceFix.Replace(text), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
