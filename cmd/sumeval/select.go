package main

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/bulletin-app/bulletin/digest"
	"github.com/bulletin-app/bulletin/digest/rouge"
)

// article is one evaluation example with what every candidate model needs
// from it, computed once: its Lead-3 and, for each cleaning setting, its
// prepared sentences and their training labels.
type article struct {
	example
	lead      []string
	leadScore rouge.Scores
	views     map[int]*view // by cleaning setting (minimum sentence length)

	mu    sync.Mutex
	cache map[string]rouge.Scores // summary text → scores
}

// view is an article as one cleaning setting leaves it.
type view struct {
	prep  *digest.Prepared
	cands []digest.Candidate
	y     []float64 // training labels
}

// prepare computes the Lead-3 of every example and its views under each
// cleaning setting of sp.
func prepare(exs []example, sp space, labels string) ([]*article, error) {
	if labels != "oracle" && labels != "rouge" {
		return nil, fmt.Errorf("unknown labels %q (want oracle or rouge)", labels)
	}
	out := make([]*article, len(exs))
	for i, e := range exs {
		a := &article{example: e, lead: lead3(e.Article), views: map[int]*view{}, cache: map[string]rouge.Scores{}}
		a.leadScore = rouge.Score(strings.Join(oneLine(a.lead), "\n"), e.Reference)
		for _, mw := range sp.minWords {
			ext := digest.NewExtractive(digest.ExtractiveOptions{Model: &digest.Model{MinWords: mw}})
			p := ext.Prepare(digest.Document{Title: e.Title, Text: e.Article})
			v := &view{prep: p, cands: p.Candidates()}
			v.y = labelsOf(v.cands, e.Reference, labels)
			a.views[mw] = v
		}
		out[i] = a
	}
	return out, nil
}

// score summarizes the article with ext (whose cleaning setting is mw) and
// scores the summary, remembering scores by summary text: many settings pick
// the same sentences.
func (a *article) score(mw int, ext *digest.Extractive) (digest.Summary, rouge.Scores) {
	sum := ext.SummarizePrepared(a.views[mw].prep)
	text := strings.Join(oneLine(sum.Sentences), "\n")
	a.mu.Lock()
	sc, ok := a.cache[text]
	a.mu.Unlock()
	if !ok {
		sc = rouge.Score(text, a.Reference)
		a.mu.Lock()
		a.cache[text] = sc
		a.mu.Unlock()
	}
	return sum, sc
}

// featureSets are the named feature sets model selection chooses among:
// every feature, every feature but the step indicators of the first four
// positions (so that position can only count smoothly), and a core of
// position, centrality and style.
var featureSets = map[string][]string{
	"all":    nil,
	"smooth": without(digest.FeatureNames, "bias", "first", "top2", "top3", "top4"),
	"core": {"inverse_position", "log_position", "centrality", "title", "short",
		"opens_quote", "opens_reference", "question"},
}

func without(all []string, drop ...string) []string {
	var out []string
	for _, f := range all {
		if !slices.Contains(drop, f) {
			out = append(out, f)
		}
	}
	return out
}

// space is the grid of settings that model selection searches: every choice
// that is made by looking at data is in it, so that nested cross-validation
// makes each of them on training folds only.
type space struct {
	words    []int     // word budget
	features []string  // names of featureSets
	lambdas  []float64 // L2 penalty
	minWords []int     // the cleaner's shortest sentence
	redund   []float64 // MMR redundancy weight
	lede     []float64 // how far another sentence must score above the lede to open the summary
	// freePosition lifts the sign constraints on position weights (for
	// comparison; bulletin's model is fitted with them).
	freePosition bool
	// oneSE chooses by the one-standard-error rule (see choose) rather than
	// the best cross-validated score.
	oneSE bool
}

// defaultSpace is the grid cmd/sumeval searches unless told otherwise.
var defaultSpace = space{
	words:    []int{55, 60, 65, 70, 75},
	features: []string{"all", "smooth", "core"},
	lambdas:  []float64{1, 3, 10},
	minWords: []int{5, 6, 8},
	redund:   []float64{0.25, 0.5, 1},
	lede:     []float64{0, 0.05, 0.1, 1},
	oneSE:    true,
}

// setting is one point of the grid.
type setting struct {
	features string
	lambda   float64
	minWords int
	words    int
	redund   float64
	lede     float64
}

func (s setting) String() string {
	return fmt.Sprintf("features %s, lambda %g, min words %d, budget %d, redundancy %g, lede margin %g",
		s.features, s.lambda, s.minWords, s.words, s.redund, s.lede)
}

// fitKey is the part of a setting that needs its own fit.
type fitKey struct {
	features string
	lambda   float64
	minWords int
}

func (sp space) fitKeys() []fitKey {
	var out []fitKey
	for _, mw := range sp.minWords {
		for _, f := range sp.features {
			for _, l := range sp.lambdas {
				out = append(out, fitKey{f, l, mw})
			}
		}
	}
	return out
}

// settings are the points of the grid that share a fit.
func (sp space) settings(k fitKey) []setting {
	var out []setting
	for _, w := range sp.words {
		for _, r := range sp.redund {
			for _, l := range sp.lede {
				out = append(out, setting{features: k.features, lambda: k.lambda, minWords: k.minWords, words: w, redund: r, lede: l})
			}
		}
	}
	return out
}

func (sp space) validate() error {
	if len(sp.words) == 0 || len(sp.features) == 0 || len(sp.lambdas) == 0 || len(sp.minWords) == 0 || len(sp.redund) == 0 || len(sp.lede) == 0 {
		return fmt.Errorf("empty model-selection grid")
	}
	for _, f := range sp.features {
		if _, ok := featureSets[f]; !ok {
			return fmt.Errorf("unknown feature set %q", f)
		}
	}
	for _, w := range sp.words {
		if w < 10 {
			return fmt.Errorf("word budget %d is under 10", w)
		}
	}
	for _, m := range sp.minWords {
		if m < 1 {
			return fmt.Errorf("minimum sentence length %d is under 1", m)
		}
	}
	for _, l := range sp.lambdas {
		if l <= 0 {
			return fmt.Errorf("penalty %g is not positive", l)
		}
	}
	for _, r := range sp.redund {
		if r <= 0 {
			return fmt.Errorf("redundancy %g is not positive", r)
		}
	}
	for _, l := range sp.lede {
		if l < 0 {
			return fmt.Errorf("lede margin %g is negative", l)
		}
	}
	return nil
}

// fitView learns weights on the training articles as one cleaning setting
// leaves them.
func fitView(arts []*article, k fitKey, freePosition bool) ([]float64, error) {
	data := make([]labelled, 0, len(arts))
	for _, a := range arts {
		v := a.views[k.minWords]
		l := labelled{y: v.y}
		for _, c := range v.cands {
			l.feats = append(l.feats, c.Features)
		}
		data = append(data, l)
	}
	return fit(data, fitOptions{lambda: k.lambda, features: featureSets[k.features], freePosition: freePosition})
}

// model is a setting with its fitted weights.
func (s setting) model(w []float64) digest.Model {
	return digest.Model{Weights: w, Words: s.words, MinWords: s.minWords, Redundancy: s.redund, LedeMargin: s.lede}
}

// objective is what model selection maximizes: the mean of the three F1
// scores.
func objective(s rouge.Scores) float64 { return (s.R1 + s.R2 + s.RLsum) / 3 }

// selection is the outcome of choosing a setting by cross-validation.
type selection struct {
	best  setting
	score rouge.Scores // its mean cross-validated scores
}

// choose picks a setting by cross-validation on arts (folds folds dealt by
// seed), fitting only on each fold's complement. With sp.oneSE it follows the
// one-standard-error rule: of the settings whose objective is within one
// standard error of the best one's (the error of their per-article paired
// difference), it takes the simplest (fewest features, then strongest
// penalty), and of those the best; otherwise the best. With a hundred-odd
// articles, most settings are within noise of each other, and the simplest
// of them holds best on articles it never saw. Ties go to the earlier
// setting of the grid.
func choose(arts []*article, sp space, folds int, seed int) (selection, error) {
	if folds < 2 || folds > len(arts) {
		return selection{}, fmt.Errorf("need 2 to %d inner folds, got %d", len(arts), folds)
	}
	ids := make([]string, len(arts))
	for i, a := range arts {
		ids[i] = a.ID
	}
	fold := foldsOf(ids, folds, seed)
	perArticle := map[setting][]rouge.Scores{}
	var order []setting
	for _, k := range sp.fitKeys() {
		for _, s := range sp.settings(k) {
			perArticle[s] = make([]rouge.Scores, len(arts))
			order = append(order, s)
		}
	}
	for f := range folds {
		var train []*article
		var test []int
		for i, a := range arts {
			if fold[i] == f {
				test = append(test, i)
			} else {
				train = append(train, a)
			}
		}
		for _, k := range sp.fitKeys() {
			w, err := fitView(train, k, sp.freePosition)
			if err != nil {
				return selection{}, err
			}
			for _, s := range sp.settings(k) {
				m := s.model(w)
				ext := digest.NewExtractive(digest.ExtractiveOptions{Model: &m})
				pa := perArticle[s]
				for _, i := range test {
					_, pa[i] = arts[i].score(s.minWords, ext)
				}
			}
		}
	}
	mean := func(s setting) rouge.Scores {
		var t rouge.Scores
		for _, x := range perArticle[s] {
			t = t.Add(x)
		}
		return t.Scale(1 / float64(len(arts)))
	}
	best, bestVal := order[0], -1.0
	for _, s := range order {
		if v := objective(mean(s)); v > bestVal {
			best, bestVal = s, v
		}
	}
	if !sp.oneSE {
		return selection{best: best, score: mean(best)}, nil
	}
	n := float64(len(arts))
	chosen, chosenVal := best, bestVal
	for _, s := range order {
		// Paired differences from the best setting, article by article.
		var sum, sq float64
		for i := range arts {
			d := objective(perArticle[best][i]) - objective(perArticle[s][i])
			sum += d
			sq += d * d
		}
		md := sum / n
		se := math.Sqrt(max(sq/n-md*md, 0) / (n - 1))
		if md > se {
			continue
		}
		v := objective(mean(s))
		if c := simpler(s, chosen); c < 0 || c == 0 && v > chosenVal {
			chosen, chosenVal = s, v
		}
	}
	return selection{best: chosen, score: mean(chosen)}, nil
}

// featureRank orders the feature sets by size.
var featureRank = map[string]int{"core": 0, "smooth": 1, "all": 2}

// simpler compares two settings by complexity: fewer features first, then a
// stronger penalty. It returns -1 when a is simpler, 1 when b is, 0 when
// they are as simple.
func simpler(a, b setting) int {
	if c := cmp.Compare(featureRank[a.features], featureRank[b.features]); c != 0 {
		return c
	}
	return cmp.Compare(b.lambda, a.lambda)
}

// train chooses a setting on arts by cross-validation and fits it on all of
// them: the whole learning procedure, which nested cross-validation
// measures and cmd/sumeval -train runs to make the built-in model.
func train(arts []*article, sp space, folds, seed int) (digest.Model, selection, error) {
	sel, err := choose(arts, sp, folds, seed)
	if err != nil {
		return digest.Model{}, sel, err
	}
	w, err := fitView(arts, fitKey{sel.best.features, sel.best.lambda, sel.best.minWords}, sp.freePosition)
	if err != nil {
		return digest.Model{}, sel, err
	}
	return sel.best.model(w), sel, nil
}

// parseGrid overrides dimensions of sp from a spec such as
// "words=60,65;features=all;lambda=3;lede=0,1".
func parseGrid(sp space, spec string) (space, error) {
	if strings.TrimSpace(spec) == "" {
		return sp, sp.validate()
	}
	for _, part := range strings.Split(spec, ";") {
		key, vals, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || vals == "" {
			return sp, fmt.Errorf("grid: %q is not name=v1,v2", part)
		}
		list := strings.Split(vals, ",")
		var err error
		switch key {
		case "words":
			sp.words, err = parseList(list, strconv.Atoi)
		case "minwords":
			sp.minWords, err = parseList(list, strconv.Atoi)
		case "lambda":
			sp.lambdas, err = parseList(list, parseFloat)
		case "redundancy":
			sp.redund, err = parseList(list, parseFloat)
		case "lede":
			sp.lede, err = parseList(list, parseFloat)
		case "features":
			sp.features = list
		default:
			return sp, fmt.Errorf("grid: unknown dimension %q (want words, features, lambda, minwords, redundancy, lede)", key)
		}
		if err != nil {
			return sp, fmt.Errorf("grid %s: %w", key, err)
		}
	}
	return sp, sp.validate()
}

func parseFloat(s string) (float64, error) { return strconv.ParseFloat(s, 64) }

func parseList[T any](list []string, parse func(string) (T, error)) ([]T, error) {
	out := make([]T, 0, len(list))
	for _, s := range list {
		v, err := parse(strings.TrimSpace(s))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
