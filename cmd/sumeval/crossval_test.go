package main

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/digest"
	"github.com/bulletin-app/bulletin/digest/rouge"
)

func TestFoldsAreBalancedAndVary(t *testing.T) {
	ids := make([]string, 23)
	for i := range ids {
		ids[i] = fmt.Sprintf("id%d", i)
	}
	a, b := foldsOf(ids, 5, 0), foldsOf(ids, 5, 1)
	size := map[int]int{}
	for _, f := range a {
		size[f]++
	}
	for f := range 5 {
		if size[f] < 4 || size[f] > 5 {
			t.Errorf("fold %d has %d of 23 articles", f, size[f])
		}
	}
	if fmt.Sprint(a) == fmt.Sprint(b) {
		t.Error("two repeats dealt the same folds")
	}
	if fmt.Sprint(a) != fmt.Sprint(foldsOf(ids, 5, 0)) {
		t.Error("folds of one repeat are not stable")
	}
}

// smallSpace keeps the tests fast.
var smallSpace = space{words: []int{40, 65}, features: []string{"all", "core"}, lambdas: []float64{3}, minWords: []int{6}, redund: []float64{0.5}, lede: []float64{0, 1}}

func tinyArticles(t *testing.T) []*article {
	t.Helper()
	exs, err := load("testdata/tiny.jsonl", "all")
	if err != nil {
		t.Fatal(err)
	}
	arts, err := prepare(exs, smallSpace, "oracle")
	if err != nil {
		t.Fatal(err)
	}
	return arts
}

func TestCrossValidateScoresEveryArticleOutOfFold(t *testing.T) {
	arts := tinyArticles(t)
	o := cvOptions{folds: 2, repeats: 3, inner: 2, space: smallSpace, resamples: 200}
	res, err := crossValidate(arts, o)
	if err == nil {
		t.Fatal("an inner cross-validation on one article was accepted")
	}
	// Four articles: each outer training part has two, enough for two inner folds.
	arts = append(arts, tinyArticles(t)...)
	for i, a := range arts[2:] {
		a.ID = fmt.Sprintf("copy%d", i)
	}
	res, err = crossValidate(arts, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.scores) != 3 || len(res.chosen) != 6 {
		t.Fatalf("%d repeats, %d chosen settings", len(res.scores), len(res.chosen))
	}
	for r := range res.scores {
		for i, p := range res.preds[r] {
			if len(p) == 0 {
				t.Errorf("repeat %d: article %d has no out-of-fold summary", r, i)
			}
		}
		if p := res.pooled(r); p.R1 <= 0.2 {
			t.Errorf("repeat %d: held-out R1 %.3f on easy articles", r, p.R1)
		}
	}
	var b strings.Builder
	res.report(&b, o)
	for _, want := range []string{"bootstrap interval", "R1 ", "opens-dgl", "settings chosen"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
	if _, err := crossValidate(arts, cvOptions{folds: 5, repeats: 1, inner: 2, space: smallSpace}); err == nil {
		t.Error("more folds than articles accepted")
	}
}

// TestNestingHidesTheScoredArticle checks that nothing of an article's
// reference reaches the model that summarizes it: replacing the reference
// changes neither that article's out-of-fold summary nor the settings and
// weights chosen for its fold (while it does change the other folds').
func TestNestingHidesTheScoredArticle(t *testing.T) {
	exs, err := load("testdata/tiny.jsonl", "all")
	if err != nil {
		t.Fatal(err)
	}
	exs = append(exs, exs...)
	exs = append(exs, exs...)
	for i := range exs {
		exs[i].ID = fmt.Sprintf("a%d", i)
	}
	o := cvOptions{folds: 2, repeats: 2, inner: 2, space: smallSpace, resamples: 100}
	run := func(exs []example) cvResult {
		arts, err := prepare(exs, smallSpace, "oracle")
		if err != nil {
			t.Fatal(err)
		}
		res, err := crossValidate(arts, o)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	before := run(exs)
	changed := append([]example(nil), exs...)
	changed[0].Reference = "Zebras prefer marmalade.\nQuantum weather is expected."
	after := run(changed)
	for r := range o.repeats {
		f := before.folds[r][0]
		if b, a := before.chosen[r*o.folds+f], after.chosen[r*o.folds+f]; b != a {
			t.Errorf("repeat %d: the setting chosen for the fold of the changed article moved: %v, then %v", r, b, a)
		}
		if b, a := fmt.Sprint(before.models[r*o.folds+f].Weights), fmt.Sprint(after.models[r*o.folds+f].Weights); b != a {
			t.Errorf("repeat %d: the weights that summarized the changed article moved:\n%s\n%s", r, b, a)
		}
		if b, a := strings.Join(before.preds[r][0], "|"), strings.Join(after.preds[r][0], "|"); b != a {
			t.Errorf("repeat %d: the changed article's out-of-fold summary moved:\n%s\n%s", r, b, a)
		}
		other := 1 - f
		if fmt.Sprint(before.models[r*o.folds+other].Weights) == fmt.Sprint(after.models[r*o.folds+other].Weights) {
			t.Errorf("repeat %d: the fold trained on the changed article did not change; the test shows nothing", r)
		}
	}
}

func TestFitLeavesOutUnchosenFeatures(t *testing.T) {
	arts := tinyArticles(t)
	wts, err := fitView(arts, fitKey{features: "core", lambda: 1, minWords: 6}, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range digest.FeatureNames {
		used := name == "bias"
		for _, f := range featureSets["core"] {
			used = used || f == name
		}
		if !used && wts[i] != 0 {
			t.Errorf("%s = %.4f, want 0 (not chosen)", name, wts[i])
		}
	}
	if _, err := fit(nil, fitOptions{lambda: 1, features: []string{"nonsense"}}); err == nil {
		t.Error("unknown feature accepted")
	}
	if _, err := prepare(nil, smallSpace, "guess"); err == nil {
		t.Error("unknown labels accepted")
	}
}

func TestParseGrid(t *testing.T) {
	sp, err := parseGrid(defaultSpace, "words=60,70; features=core; lambda=2.5")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sp.words, sp.features, sp.lambdas, sp.minWords) != fmt.Sprint([]int{60, 70}, []string{"core"}, []float64{2.5}, defaultSpace.minWords) {
		t.Errorf("grid = %+v", sp)
	}
	for _, bad := range []string{"words", "words=x", "colour=red", "features=nonsense", "words=5"} {
		if _, err := parseGrid(defaultSpace, bad); err == nil {
			t.Errorf("grid %q accepted", bad)
		}
	}
}

func TestBootstrapCoversTheMean(t *testing.T) {
	var xs []rouge.Scores
	for i := range 200 {
		v := float64(i%10) / 10 // mean 0.45
		xs = append(xs, rouge.Scores{R1: v, R2: v, RLsum: v})
	}
	iv := bootstrap(xs, 2000, 1)
	if iv.mean.R1 < 0.449 || iv.mean.R1 > 0.451 {
		t.Errorf("mean %.3f, want 0.45", iv.mean.R1)
	}
	// The standard error is 0.287/sqrt(200) = 0.020: the interval is about ±0.04.
	if iv.lo.R1 > 0.42 || iv.lo.R1 < 0.39 || iv.hi.R1 < 0.48 || iv.hi.R1 > 0.51 {
		t.Errorf("interval [%.3f, %.3f], want about [0.41, 0.49]", iv.lo.R1, iv.hi.R1)
	}
	same := make([]rouge.Scores, 50)
	if iv := bootstrap(same, 100, 1); iv.lo != iv.hi {
		t.Errorf("constant values give interval [%v, %v]", iv.lo, iv.hi)
	}
}

func TestFitHoldsPositionWeightsToTheirSigns(t *testing.T) {
	// Labels that favour the second sentence over the first: a free fit
	// learns that from position, a constrained one cannot.
	var data []labelled
	for range 40 {
		var l labelled
		for i := range 6 {
			f := make([]float64, len(digest.FeatureNames))
			for k, name := range digest.FeatureNames {
				switch name {
				case "bias":
					f[k] = 1
				case "first":
					f[k] = b2f(i == 0)
				case "top2":
					f[k] = b2f(i < 2)
				case "top3":
					f[k] = b2f(i < 3)
				case "top4":
					f[k] = b2f(i < 4)
				case "inverse_position":
					f[k] = 1 / float64(i+1)
				case "log_position":
					f[k] = math.Log(float64(i + 1))
				}
			}
			l.feats = append(l.feats, f)
			l.y = append(l.y, b2f(i == 1))
		}
		data = append(data, l)
	}
	score := func(w []float64, f []float64) float64 {
		z := 0.0
		for k := range w {
			z += w[k] * f[k]
		}
		return z
	}
	free, err := fit(data, fitOptions{lambda: 1, freePosition: true})
	if err != nil {
		t.Fatal(err)
	}
	if score(free, data[0].feats[1]) <= score(free, data[0].feats[0]) {
		t.Fatal("the free fit did not learn to prefer the second sentence; the test shows nothing")
	}
	held, err := fit(data, fitOptions{lambda: 1})
	if err != nil {
		t.Fatal(err)
	}
	for k, name := range digest.FeatureNames {
		if sign, ok := digest.PositionSigns[name]; ok && sign*held[k] < 0 {
			t.Errorf("%s = %.3f, against its sign %+.0f", name, held[k], sign)
		}
	}
	for i := 1; i < 6; i++ {
		if score(held, data[0].feats[i]) > score(held, data[0].feats[i-1])+1e-9 {
			t.Errorf("position %d scores above position %d", i, i-1)
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func TestSimplerOrdersByFeaturesThenPenalty(t *testing.T) {
	core10 := setting{features: "core", lambda: 10}
	core1 := setting{features: "core", lambda: 1}
	all10 := setting{features: "all", lambda: 10}
	if simpler(core10, core1) >= 0 || simpler(core1, all10) >= 0 || simpler(all10, core1) <= 0 {
		t.Error("core before all, and a stronger penalty before a weaker one")
	}
	if simpler(core10, setting{features: "core", lambda: 10, words: 70}) != 0 {
		t.Error("the budget is not complexity")
	}
}

func TestOneStandardErrorRuleNeverChoosesMoreComplex(t *testing.T) {
	arts := append(tinyArticles(t), tinyArticles(t)...)
	for i, a := range arts {
		a.ID = fmt.Sprintf("a%d", i)
	}
	sp := smallSpace
	sp.lambdas = []float64{1, 10}
	best, err := choose(arts, sp, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	sp.oneSE = true
	one, err := choose(arts, sp, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if simpler(one.best, best.best) > 0 {
		t.Errorf("one-SE choice %v is more complex than the best %v", one.best, best.best)
	}
	if objective(one.score) > objective(best.score)+1e-12 {
		t.Errorf("one-SE choice scores %.4f, above the best's %.4f", objective(one.score), objective(best.score))
	}
}
