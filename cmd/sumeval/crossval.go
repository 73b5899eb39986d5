package main

import (
	"cmp"
	"crypto/sha1"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/bulletin-app/bulletin/digest"
	"github.com/bulletin-app/bulletin/digest/rouge"
)

// cvOptions configure a repeated k-fold cross-validation.
type cvOptions struct {
	folds, repeats int
	fit            fitOptions
	// summarizer is the default summarizer's configuration; each fold sets
	// its Weights.
	summarizer digest.ExtractiveOptions
}

// cvResult is the held-out margin of the default summarizer over Lead-3 in
// ROUGE points: one pooled figure per repeat (every article scored once,
// by weights fitted without it) and one per fold.
type cvResult struct {
	n       int            // articles
	lead    rouge.Scores   // Lead-3, the same in every repeat
	repeats []rouge.Scores // default summarizer, pooled, per repeat
	margins []rouge.Scores // default minus Lead-3, pooled, per repeat
	folds   []rouge.Scores // default minus Lead-3, per fold
}

// foldsOf assigns each article a fold for one repeat: articles are ordered by
// a hash of the repeat number and their id and dealt out in turn, so folds
// are balanced, stable and independent of file order.
func foldsOf(exs []example, folds, repeat int) []int {
	type key struct {
		h [20]byte
		i int
	}
	keys := make([]key, len(exs))
	for i, e := range exs {
		keys[i] = key{sha1.Sum([]byte(fmt.Sprintf("%d:%s", repeat, e.ID))), i}
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(strings.Compare(string(a.h[:]), string(b.h[:])), cmp.Compare(a.i, b.i))
	})
	out := make([]int, len(exs))
	for rank, k := range keys {
		out[k.i] = rank % folds
	}
	return out
}

// crossValidate fits the model on all folds but one and scores the default
// summarizer and Lead-3 on the fold left out, for every fold and repeat.
func crossValidate(exs []example, o cvOptions) (cvResult, error) {
	var res cvResult
	if o.folds < 2 || o.folds > len(exs) {
		return res, fmt.Errorf("need 2 to %d folds, got %d", len(exs), o.folds)
	}
	data, err := label(exs, o.fit.labels)
	if err != nil {
		return res, err
	}
	lead := make([]rouge.Scores, len(exs))
	for i, e := range exs {
		lead[i] = rouge.Score(strings.Join(oneLine(lead3(e.Article)), "\n"), e.Reference)
		res.lead = res.lead.Add(lead[i])
	}
	res.n = len(exs)
	n := float64(len(exs))
	res.lead = res.lead.Scale(1 / n)
	for r := range o.repeats {
		fold := foldsOf(exs, o.folds, r)
		var pooled rouge.Scores
		for f := range o.folds {
			var train []labelled
			for i, l := range data {
				if fold[i] != f {
					train = append(train, l)
				}
			}
			wts, err := fit(train, o.fit)
			if err != nil {
				return res, fmt.Errorf("repeat %d fold %d: %w", r, f, err)
			}
			so := o.summarizer
			so.Weights = wts
			sum := summaryOf(digest.NewExtractive(so))
			var def, base rouge.Scores
			k := 0
			for i, e := range exs {
				if fold[i] != f {
					continue
				}
				def = def.Add(rouge.Score(strings.Join(oneLine(sum(e)), "\n"), e.Reference))
				base = base.Add(lead[i])
				k++
			}
			pooled = pooled.Add(def)
			res.folds = append(res.folds, def.Add(base.Scale(-1)).Scale(1/float64(k)))
		}
		pooled = pooled.Scale(1 / n)
		res.repeats = append(res.repeats, pooled)
		res.margins = append(res.margins, pooled.Add(res.lead.Scale(-1)))
	}
	return res, nil
}

// meanSD returns the mean and sample standard deviation of each score.
func meanSD(xs []rouge.Scores) (mean, sd rouge.Scores) {
	for _, x := range xs {
		mean = mean.Add(x)
	}
	mean = mean.Scale(1 / float64(len(xs)))
	if len(xs) < 2 {
		return mean, sd
	}
	sq := func(a, m float64) float64 { return (a - m) * (a - m) }
	for _, x := range xs {
		sd = sd.Add(rouge.Scores{R1: sq(x.R1, mean.R1), R2: sq(x.R2, mean.R2), RLsum: sq(x.RLsum, mean.RLsum)})
	}
	sd = sd.Scale(1 / float64(len(xs)-1))
	return mean, rouge.Scores{R1: math.Sqrt(sd.R1), R2: math.Sqrt(sd.R2), RLsum: math.Sqrt(sd.RLsum)}
}

// minOf returns the smallest of each score.
func minOf(xs []rouge.Scores) rouge.Scores {
	m := xs[0]
	for _, x := range xs[1:] {
		m = rouge.Scores{R1: min(m.R1, x.R1), R2: min(m.R2, x.R2), RLsum: min(m.RLsum, x.RLsum)}
	}
	return m
}

// report prints a cross-validation in ROUGE points.
func (res cvResult) report(w io.Writer, o cvOptions) {
	pt := func(s rouge.Scores) rouge.Scores { return s.Scale(100) }
	fmt.Fprintf(w, "%d-fold cross-validation, %d repeats, %d articles; Lead-3 %s\n", o.folds, o.repeats, res.n, fmtScores(pt(res.lead)))
	fmt.Fprintf(w, "%-8s %-22s %s\n", "repeat", "default R1/R2/RLsum", "margin over Lead-3")
	for r := range res.repeats {
		fmt.Fprintf(w, "%-8d %-22s %s\n", r+1, fmtScores(pt(res.repeats[r])), fmtSigned(pt(res.margins[r])))
	}
	m, sd := meanSD(res.margins)
	fm, fsd := meanSD(res.folds)
	fmt.Fprintf(w, "pooled margin, mean ± sd over repeats: %s ± %s\n", fmtSigned(pt(m)), fmtScores(pt(sd)))
	fmt.Fprintf(w, "fold margin, mean ± sd over %d folds:  %s ± %s, worst %s\n", len(res.folds), fmtSigned(pt(fm)), fmtScores(pt(fsd)), fmtSigned(pt(minOf(res.folds))))
}

func fmtScores(s rouge.Scores) string {
	return fmt.Sprintf("%.2f/%.2f/%.2f", s.R1, s.R2, s.RLsum)
}

func fmtSigned(s rouge.Scores) string {
	return fmt.Sprintf("%+.2f/%+.2f/%+.2f", s.R1, s.R2, s.RLsum)
}
