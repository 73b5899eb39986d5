package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/digest"
)

func TestFoldsAreBalancedAndVary(t *testing.T) {
	exs := make([]example, 23)
	for i := range exs {
		exs[i].ID = fmt.Sprintf("id%d", i)
	}
	a, b := foldsOf(exs, 5, 0), foldsOf(exs, 5, 1)
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
	if fmt.Sprint(a) != fmt.Sprint(foldsOf(exs, 5, 0)) {
		t.Error("folds of one repeat are not stable")
	}
}

func TestCrossValidateScoresEveryArticleOncePerRepeat(t *testing.T) {
	exs, err := load("testdata/tiny.jsonl", "all")
	if err != nil {
		t.Fatal(err)
	}
	o := cvOptions{folds: 2, repeats: 3, fit: fitOptions{lambda: defaultLambda, labels: "oracle"}}
	res, err := crossValidate(exs, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.n != 2 || len(res.repeats) != 3 || len(res.margins) != 3 || len(res.folds) != 6 {
		t.Fatalf("n %d, %d repeats, %d margins, %d folds", res.n, len(res.repeats), len(res.margins), len(res.folds))
	}
	for r, m := range res.margins {
		if d := res.repeats[r].R1 - res.lead.R1 - m.R1; d > 1e-9 || d < -1e-9 {
			t.Errorf("repeat %d: margin %.4f is not default minus Lead-3", r, m.R1)
		}
		if res.repeats[r].R1 <= 0.2 {
			t.Errorf("repeat %d: held-out R1 %.3f on easy articles", r, res.repeats[r].R1)
		}
	}
	var b strings.Builder
	res.report(&b, o)
	if !strings.Contains(b.String(), "pooled margin") {
		t.Errorf("report:\n%s", b.String())
	}
	if _, err := crossValidate(exs, cvOptions{folds: 3, repeats: 1, fit: o.fit}); err == nil {
		t.Error("more folds than articles accepted")
	}
}

func TestFitLeavesOutUnchosenFeatures(t *testing.T) {
	exs, _ := load("testdata/tiny.jsonl", "all")
	data, err := label(exs, "oracle")
	if err != nil {
		t.Fatal(err)
	}
	wts, err := fit(data, fitOptions{lambda: 1, features: []string{"first", "centrality"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range digest.FeatureNames {
		used := name == "bias" || name == "first" || name == "centrality"
		if !used && wts[i] != 0 {
			t.Errorf("%s = %.4f, want 0 (not chosen)", name, wts[i])
		}
	}
	if _, err := fit(data, fitOptions{lambda: 1, features: []string{"nonsense"}}); err == nil {
		t.Error("unknown feature accepted")
	}
	if _, err := label(exs, "guess"); err == nil {
		t.Error("unknown labels accepted")
	}
}
