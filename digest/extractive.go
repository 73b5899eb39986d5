package digest

import (
	"context"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ExtractiveOptions configure the extractive summarizer. The zero value works.
type ExtractiveOptions struct {
	// Words is the summary's word budget; 0 means 60. It is a target:
	// sentences are added while the summary is under it, and the last may
	// run past it by at most half.
	Words int
	// MaxSentences caps the summary; 0 means 3.
	MaxSentences int
	// Weights replaces the built-in model (one weight per FeatureNames entry);
	// nil uses the weights learned from news articles.
	Weights []float64
	// Redundancy is how strongly a sentence similar to one already chosen is
	// held back (the MMR trade-off); 0 means the default.
	Redundancy float64
}

// Extractive picks an article's own sentences: it scores each with a small
// logistic model over lead position, centrality, overlap with the title and
// the whole text, length and style, then chooses greedily under the word
// budget while penalising redundancy (maximal marginal relevance).
type Extractive struct {
	opts ExtractiveOptions
}

const (
	defaultWords      = 60
	defaultSentences  = 3
	defaultRedundancy = 0.5
	teaserWords       = 40
)

// NewExtractive returns an extractive summarizer; it is safe for concurrent use.
func NewExtractive(opts ExtractiveOptions) *Extractive {
	if opts.Words <= 0 {
		opts.Words = defaultWords
	}
	if opts.MaxSentences <= 0 {
		opts.MaxSentences = defaultSentences
	}
	if opts.Weights == nil {
		opts.Weights = learnedWeights
	}
	if opts.Redundancy == 0 {
		opts.Redundancy = defaultRedundancy
	}
	return &Extractive{opts: opts}
}

// Summarize implements Summarizer. It never fails; an article with no usable
// sentence gives an empty summary.
func (e *Extractive) Summarize(ctx context.Context, doc Document) (Summary, error) {
	if err := ctx.Err(); err != nil {
		return Summary{}, err
	}
	a := analyze(doc)
	out := Summary{Method: "extractive"}
	if len(a.sents) == 0 && len(a.highlights) == 0 {
		return out, nil
	}
	score := a.scores(e.opts.Weights)
	if len(a.highlights) > 0 {
		// The publisher's own bullet points are a summary already.
		out.Sentences = budgetPrefix(a.highlights, e.opts.Words, e.opts.MaxSentences)
		for i, h := range out.Sentences {
			if !endsSentence(h) {
				out.Sentences[i] = h + "."
			}
		}
	} else {
		for _, i := range a.choose(score, e.opts) {
			out.Sentences = append(out.Sentences, a.sents[i].text)
		}
	}
	if t := a.teaser(); t >= 0 {
		out.Teaser = a.sents[t].text
	} else if len(out.Sentences) > 0 {
		out.Teaser = out.Sentences[0]
	}
	return out, nil
}

// budgetPrefix returns the first items that fit the budget, at least one.
func budgetPrefix(items []string, words, max int) []string {
	var out []string
	total := 0
	for _, s := range items {
		n := wordCount(s)
		if len(out) > 0 && (!fits(total, n, words, len(out) < 2) || len(out) >= max) {
			break
		}
		out = append(out, s)
		total += n
	}
	return out
}

// analysis is one article cleaned, split and measured.
type analysis struct {
	sents      []sentence
	highlights []string
	words      []int
	bags       []bag
	weight     []float64 // inverse sentence frequency per term
	feats      [][]float64
	hasTitle   bool
}

// Indexes into the feature vector used outside the model.
const (
	featCentroid = 6
	featTitle    = 7
)

// FeatureNames name the inputs of the extractive model, in order.
var FeatureNames = []string{
	"bias", "first", "inverse_position", "relative_position", "paragraph_start",
	"centrality", "centroid", "title", "length", "short", "long",
	"opens_quote", "quoted", "opens_reference", "digits", "capitals",
	"question", "second", "third", "fourth", "fifth", "ends_quote", "attribution",
	"log_position", "lead_similarity",
}

// Candidate is a sentence the extractive summarizer may choose, with its
// features; cmd/sumeval learns the model's weights from them.
type Candidate struct {
	Text     string
	Features []float64
}

// Candidates returns the cleaned sentences of doc and their features.
func Candidates(doc Document) []Candidate {
	a := analyze(doc)
	out := make([]Candidate, len(a.sents))
	for i, s := range a.sents {
		out[i] = Candidate{Text: s.text, Features: a.feats[i]}
	}
	return out
}

func analyze(doc Document) *analysis {
	c := clean(doc.Title, doc.Text)
	a := &analysis{sents: c.sentences, highlights: c.highlights}
	if len(a.sents) > maxGraphSentences {
		a.sents = a.sents[:maxGraphSentences]
	}
	n := len(a.sents)
	if n == 0 {
		return a
	}
	ti := newTermIndex()
	var buf []int32
	a.bags = make([]bag, n)
	a.words = make([]int, n)
	for i, s := range a.sents {
		buf = contentTerms(s.text, ti, buf[:0])
		a.bags[i] = newBag(buf)
		a.words[i] = wordCount(s.text)
	}
	titleBag := a.bags[0]
	a.hasTitle = strings.TrimSpace(doc.Title) != ""
	if a.hasTitle {
		titleBag = newBag(contentTerms(doc.Title, ti, nil))
	}
	df := make([]int, ti.size())
	for _, b := range a.bags {
		for _, id := range b.ids {
			df[id]++
		}
	}
	a.weight = make([]float64, ti.size())
	for id := range a.weight {
		d := max(df[id], 1)
		a.weight[id] = math.Log(1 + float64(n)/float64(d))
	}
	// Centroid: the whole article as one bag.
	var all []int32
	for _, b := range a.bags {
		for k, id := range b.ids {
			for range int(b.counts[k]) {
				all = append(all, id)
			}
		}
	}
	centroid := newBag(all)
	var leadTerms []int32
	for i := range min(n, 3) {
		for k, id := range a.bags[i].ids {
			for range int(a.bags[i].counts[k]) {
				leadTerms = append(leadTerms, id)
			}
		}
	}
	leadBag := newBag(leadTerms)

	sim := make([]float64, n*n)
	for i := range n {
		for j := i + 1; j < n; j++ {
			v := cosine(a.bags[i], a.bags[j], a.weight)
			sim[i*n+j], sim[j*n+i] = v, v
		}
	}
	central := pagerank(sim, n, 0.85)
	multiPara := a.sents[n-1].para > 0
	a.feats = make([][]float64, n)
	for i, s := range a.sents {
		paraStart := 0.0
		if multiPara && (i == 0 || a.sents[i-1].para != s.para) {
			paraStart = 1
		}
		title := cosine(a.bags[i], titleBag, a.weight)
		if !a.hasTitle && i == 0 {
			title = 1
		}
		w := float64(a.words[i])
		a.feats[i] = []float64{
			1,
			b2f(i == 0),
			1 / float64(i+1),
			float64(i) / float64(n),
			paraStart,
			min(central[i]*float64(n), 3),
			cosine(a.bags[i], centroid, a.weight),
			title,
			w / 25,
			b2f(w < 10),
			b2f(w > 35),
			b2f(opensQuote(s.text)),
			quotedShare(s.text),
			b2f(opensReference(s.text)),
			b2f(strings.ContainsAny(s.text, "0123456789")),
			capitalShare(s.text),
			b2f(strings.HasSuffix(strings.TrimRightFunc(s.text, isQuoteOrSpace), "?")),
			b2f(i == 1),
			b2f(i == 2),
			b2f(i == 3),
			b2f(i == 4),
			b2f(isCloseQuote(lastRune(strings.TrimSpace(s.text)))),
			b2f(attribution(s.text)),
			math.Log(float64(i + 1)),
			cosine(a.bags[i], leadBag, a.weight),
		}
	}
	return a
}

func (a *analysis) scores(w []float64) []float64 {
	out := make([]float64, len(a.feats))
	for i, f := range a.feats {
		z := 0.0
		for k := range min(len(f), len(w)) {
			z += f[k] * w[k]
		}
		out[i] = 1 / (1 + math.Exp(-z))
	}
	return out
}

// choose picks sentences by maximal marginal relevance under the word budget
// and returns their indexes in reading order.
func (a *analysis) choose(score []float64, o ExtractiveOptions) []int {
	var picked []int
	used := 0
	for len(picked) < o.MaxSentences {
		best, bestVal := -1, math.Inf(-1)
		for i := range a.sents {
			if slices.Contains(picked, i) {
				continue
			}
			if len(picked) > 0 && !fits(used, a.words[i], o.Words, len(picked) < 2) {
				continue
			}
			red := 0.0
			for _, j := range picked {
				red = max(red, cosine(a.bags[i], a.bags[j], a.weight))
			}
			if v := score[i] - o.Redundancy*red; v > bestVal {
				best, bestVal = i, v
			}
		}
		if best < 0 {
			break
		}
		picked = append(picked, best)
		used += a.words[best]
	}
	slices.Sort(picked)
	return picked
}

// overshoot is how far past the budget, as a fraction of it, the last
// sentence may run: the budget is a target, not a cut-off, since a summary
// that stops well short of it loses more than one that passes it a little.
var overshoot = 0.5

// fits reports whether a sentence of n words may follow used words. A
// summary of one long sentence may still take a short second one, since an
// entry reads better with two.
func fits(used, n, budget int, wantMore bool) bool {
	return (used < budget || wantMore) && float64(used+n) <= float64(budget)*(1+overshoot)
}

// teaser returns the sentence short enough for a one-line teaser that is
// most like the whole article and, when there is one, the title. Centrality
// beats the lead-biased summary model here: on one-sentence references it
// scores higher (see docs/benchmarks.md).
func (a *analysis) teaser() int {
	best, bestVal := -1, 0.0
	for i := range a.sents {
		if a.words[i] > teaserWords {
			continue
		}
		v := a.feats[i][featCentroid]
		if a.hasTitle {
			v += a.feats[i][featTitle]
		}
		if best < 0 || v > bestVal {
			best, bestVal = i, v
		}
	}
	if best < 0 && len(a.sents) > 0 {
		best = 0
	}
	return best
}

// reportingVerbs mark a sentence that reports speech, which is more often
// colour than news.
var reportingVerbs = []string{"said", "says", "told", "added", "claimed", "explained", "revealed", "wrote", "tweeted"}

func attribution(s string) bool {
	for _, v := range reportingVerbs {
		if strings.Contains(s, v) {
			return true
		}
	}
	return false
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func isQuoteOrSpace(r rune) bool { return unicode.IsSpace(r) || isCloseQuote(r) }

func opensQuote(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r == '"' || r == '\'' || r == '\u2018' || r == '\u201c'
}

// quotedShare is the fraction of s that lies between quotation marks. An
// apostrophe inside a word ("don't", "Trump's") is not a quotation mark.
func quotedShare(s string) float64 {
	rs := []rune(s)
	if len(rs) == 0 {
		return 0
	}
	letter := func(i int) bool { return i >= 0 && i < len(rs) && unicode.IsLetter(rs[i]) }
	in := false
	q := 0
	for i, r := range rs {
		switch r {
		case '\u201c', '\u2018':
			in = true
		case '\u201d':
			in = false
		case '"':
			in = !in
		case '\'', '\u2019':
			switch {
			case !in && !letter(i-1):
				in = r == '\''
			case in && !letter(i+1):
				in = false
			}
		}
		if in {
			q++
		}
	}
	return float64(q) / float64(len(rs))
}

// opensReference reports whether s begins with a word that points back to
// earlier text ("He", "But", "This"), which makes it weak on its own.
func opensReference(s string) bool {
	w, _, _ := strings.Cut(s, " ")
	switch strings.ToLower(strings.Trim(w, ",'\"‘“")) {
	case "he", "she", "it", "they", "his", "her", "their", "its", "this", "that",
		"these", "those", "but", "and", "however", "also", "meanwhile", "so", "then", "there":
		return true
	}
	return false
}

// capitalShare is the share of words after the first that are capitalised:
// names and places.
func capitalShare(s string) float64 {
	f := strings.Fields(s)
	if len(f) < 2 {
		return 0
	}
	c := 0
	for _, w := range f[1:] {
		r := firstLetter(w)
		if unicode.IsUpper(r) {
			c++
		}
	}
	return float64(c) / float64(len(f)-1)
}
