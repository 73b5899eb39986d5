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
	// Words is the summary's word budget; 0 means the model's (see Model).
	// It is a target: sentences are added while the summary is under it, and
	// the last may run past it by at most half.
	Words int
	// MaxSentences caps the summary; 0 means 3.
	MaxSentences int
	// Model replaces the built-in model; nil uses the one learned from news
	// articles (BuiltinModel).
	Model *Model
}

// Model is what the extractive summarizer learned from news articles with
// reference summaries: the sentence scorer's weights and the settings that
// were chosen together with them. cmd/sumeval -train writes the built-in
// one; its nested cross-validation measures how well that procedure does
// on articles it never saw.
type Model struct {
	// Weights are the sentence scorer's, one per FeatureNames entry.
	Weights []float64
	// Words is the word budget; 0 means 65.
	Words int
	// Redundancy is how strongly a sentence similar to one already chosen is
	// held back (the MMR trade-off); 0 means 0.5.
	Redundancy float64
	// MinWords is the shortest sentence the cleaner keeps; 0 means 6.
	MinWords int
	// LedeMargin is how far (in the scorer's probability) another sentence
	// must score above the article's first to open the summary in its
	// place; 0 leaves the choice to the scores alone, 1 always keeps the
	// lede.
	LedeMargin float64
}

// BuiltinModel returns a copy of the model bulletin ships.
func BuiltinModel() Model {
	m := learnedModel
	m.Weights = slices.Clone(m.Weights)
	return m
}

// Extractive picks an article's own sentences: it scores each with a small
// logistic model over lead position, centrality, similarity to the title and
// style (quotes, questions, back-references, numbers, names), then chooses
// greedily under the word budget while penalising redundancy (maximal
// marginal relevance).
type Extractive struct {
	opts  ExtractiveOptions
	model Model
}

const (
	defaultWords      = 65
	defaultSentences  = 3
	defaultRedundancy = 0.5
	teaserWords       = 40
)

// NewExtractive returns an extractive summarizer; it is safe for concurrent use.
func NewExtractive(opts ExtractiveOptions) *Extractive {
	m := learnedModel
	if opts.Model != nil {
		m = *opts.Model
	}
	if m.Weights == nil {
		m.Weights = learnedModel.Weights
	}
	if m.Words <= 0 {
		m.Words = defaultWords
	}
	if m.Redundancy == 0 {
		m.Redundancy = defaultRedundancy
	}
	if m.MinWords <= 0 {
		m.MinWords = defaultMinWords
	}
	if opts.Words <= 0 {
		opts.Words = m.Words
	}
	if opts.MaxSentences <= 0 {
		opts.MaxSentences = defaultSentences
	}
	return &Extractive{opts: opts, model: m}
}

// Summarize implements Summarizer. It never fails; an article with no usable
// sentence gives an empty summary.
func (e *Extractive) Summarize(ctx context.Context, doc Document) (Summary, error) {
	if err := ctx.Err(); err != nil {
		return Summary{}, err
	}
	return e.SummarizePrepared(e.Prepare(doc)), nil
}

// Prepared is an article cleaned, split and measured, ready to be summarized.
// A program that compares many models on the same articles (cmd/sumeval)
// prepares each article once: what Prepare does depends only on the
// cleaner's settings (Model.MinWords), not on the weights or the budget.
type Prepared struct {
	a *analysis
}

// Prepare cleans and measures doc with e's cleaning settings.
func (e *Extractive) Prepare(doc Document) *Prepared {
	return &Prepared{a: analyze(doc, cleanOptions{minWords: e.model.MinWords})}
}

// Candidates returns the sentences the summarizer may choose, in reading
// order, with their features; cmd/sumeval learns the model's weights from
// them.
func (p *Prepared) Candidates() []Candidate {
	out := make([]Candidate, len(p.a.sents))
	for i, s := range p.a.sents {
		out[i] = Candidate{Text: s.text, Features: p.a.feats[i]}
	}
	return out
}

// SummarizePrepared summarizes an article prepared by any Extractive with
// e's model and budget.
func (e *Extractive) SummarizePrepared(p *Prepared) Summary {
	a := p.a
	// The names, from the sentences cleaned already: cleaning costs as
	// much as summarizing.
	out := Summary{Method: "extractive", Names: namesOf(a.sents)}
	if len(a.sents) == 0 && len(a.highlights) == 0 {
		return out
	}
	if len(a.highlights) > 0 {
		// The publisher's own bullet points are a summary already.
		out.Sentences = budgetPrefix(a.highlights, e.opts.Words, e.opts.MaxSentences)
		for i, h := range out.Sentences {
			if !endsSentence(h) {
				out.Sentences[i] = h + "."
			}
		}
	} else {
		score := a.scores(e.model.Weights)
		for _, i := range a.choose(score, e.opts.Words, e.opts.MaxSentences, e.model.Redundancy, e.model.LedeMargin) {
			out.Sentences = append(out.Sentences, a.sents[i].text)
		}
	}
	if t := a.teaser(); t >= 0 {
		out.Teaser = a.sents[t].text
	} else if len(out.Sentences) > 0 {
		out.Teaser = out.Sentences[0]
	}
	return out
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
	centroid   []float64 // similarity to the whole article
	title      []float64 // similarity to the title
	hasTitle   bool
	dangles    []bool // opens with a pronoun or connective
}

// FeatureNames name the inputs of the extractive model, in order. They are
// few on purpose: with a hundred-odd articles to learn from, each extra
// feature fitted noise (see docs/benchmarks.md). The position features
// (first, top2, top3, top4: among the first one to four sentences;
// inverse_position, log_position) are each monotone in the position, and
// PositionSigns gives the sign their weights must have so that position alone
// can never rank a later sentence above an earlier one.
var FeatureNames = []string{
	"bias", "first", "top2", "top3", "top4", "inverse_position", "log_position",
	"centrality", "title", "short", "opens_quote", "opens_reference", "digits",
	"capitals", "question", "attribution",
}

// PositionSigns are the signs the position features' weights must have (+1:
// at least 0; -1: at most 0) for the score to fall, all else equal, with a
// sentence's position: news puts what matters first, and a model free to
// prefer the second sentence to the lede learns that from the quirks of the
// articles it was fitted on.
var PositionSigns = map[string]float64{
	"first": 1, "top2": 1, "top3": 1, "top4": 1, "inverse_position": 1, "log_position": -1,
}

// Candidate is a sentence the extractive summarizer may choose, with its
// features.
type Candidate struct {
	Text     string
	Features []float64
}

func analyze(doc Document, co cleanOptions) *analysis {
	c := cleanWith(doc.Title, doc.Text, co)
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
	// Without a title the title feature is 0 throughout: standing in the
	// lede for it made the feature mean "like the lede" on title-less
	// training articles and "like the headline" in use, and a model fitted
	// on the first learned to hold both down.
	var titleBag bag
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
	sim := make([]float64, n*n)
	for i := range n {
		for j := i + 1; j < n; j++ {
			v := cosine(a.bags[i], a.bags[j], a.weight)
			sim[i*n+j], sim[j*n+i] = v, v
		}
	}
	central := pagerank(sim, n, 0.85)
	a.feats = make([][]float64, n)
	a.dangles = make([]bool, n)
	a.centroid = make([]float64, n)
	a.title = make([]float64, n)
	for i, s := range a.sents {
		a.centroid[i] = cosine(a.bags[i], centroid, a.weight)
		if a.hasTitle {
			a.title[i] = cosine(a.bags[i], titleBag, a.weight)
		}
		a.dangles[i] = opensReference(s.text)
		a.feats[i] = []float64{
			1,
			b2f(i == 0),
			b2f(i < 2),
			b2f(i < 3),
			b2f(i < 4),
			1 / float64(i+1),
			math.Log(float64(i + 1)),
			min(central[i]*float64(n), 3),
			a.title[i],
			b2f(a.words[i] < 10),
			b2f(opensQuote(s.text)),
			b2f(a.dangles[i]),
			b2f(strings.ContainsAny(s.text, "0123456789")),
			capitalShare(s.text),
			b2f(strings.HasSuffix(strings.TrimRightFunc(s.text, isQuoteOrSpace), "?")),
			b2f(attribution(s.text)),
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
// and returns their indexes in reading order. Two rules keep the summary
// readable on its own and hold the lead where news puts it:
//   - the lede opens the summary unless another sentence scores more than
//     ledeMargin above it: a fitted model's position weights tend to favour
//     the second sentence, which on news the lede's redundancy with it then
//     pushes out altogether;
//   - a sentence that opens with a pronoun or connective ("He said", "But")
//     is taken only after the sentence before it, so that it never opens
//     the summary or follows text the reader has not seen; the lede may
//     open that way, as its article does, unless the cleaner cut a caption
//     or fragment right before it.
func (a *analysis) choose(score []float64, words, maxSentences int, redundancy, ledeMargin float64) []int {
	var picked []int
	used := 0
	eligible := func(i int) bool {
		if i == 0 {
			// The article's own opening may be "They are the ...", but
			// not when the cleaner cut what came before it ("... for $20
			// He was once the champion").
			return !a.dangles[0] || !a.sents[0].afterCut
		}
		return !a.dangles[i] || slices.Contains(picked, i-1)
	}
	if len(a.sents) > 0 && eligible(0) {
		top := math.Inf(-1)
		for i := 1; i < len(a.sents); i++ {
			if eligible(i) {
				top = max(top, score[i])
			}
		}
		if score[0]+ledeMargin >= top {
			picked = append(picked, 0)
			used += a.words[0]
		}
	}
	for len(picked) < maxSentences {
		best, bestVal := -1, math.Inf(-1)
		for i := range a.sents {
			if slices.Contains(picked, i) || !eligible(i) {
				continue
			}
			if len(picked) > 0 && !fits(used, a.words[i], words, len(picked) < 2) {
				continue
			}
			red := 0.0
			for _, j := range picked {
				red = max(red, cosine(a.bags[i], a.bags[j], a.weight))
			}
			if v := score[i] - redundancy*red; v > bestVal {
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
		if a.words[i] > teaserWords || i > 0 && a.dangles[i] {
			// A teaser stands alone: "He said ..." cannot.
			continue
		}
		v := a.centroid[i]
		if a.hasTitle {
			v += a.title[i]
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

// opensReference reports whether s begins with a word that points back to
// earlier text: a pronoun ("He", "Its", "This") or a connective ("But",
// "However"), which makes it weak on its own.
func opensReference(s string) bool {
	w, _, _ := strings.Cut(s, " ")
	w = strings.ToLower(strings.Trim(w, ",;:'\"‘“"))
	if k := strings.IndexAny(w, "'’"); k > 0 {
		w = w[:k] // "It's", "They're"
	}
	return referenceWords[w]
}

var referenceWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`he she it they him them his her its their theirs this that
		these those but and or nor so yet however also meanwhile still instead moreover furthermore
		besides then thus therefore nevertheless nonetheless indeed likewise similarly otherwise
		conversely plus though hence consequently additionally`) {
		m[w] = true
	}
	return m
}()

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
