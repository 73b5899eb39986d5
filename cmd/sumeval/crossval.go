package main

import (
	"cmp"
	"crypto/sha1"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/bulletin-app/bulletin/digest"
	"github.com/bulletin-app/bulletin/digest/rouge"
)

// cvOptions configure a nested cross-validation.
type cvOptions struct {
	folds, repeats int // outer: the articles scored
	inner          int // inner folds: model selection on each outer training part
	space          space
	resamples      int // bootstrap resamples
}

// cvResult is what a nested cross-validation measured: for every repeat and
// article, the summary written by a model that was chosen and fitted
// without that article, and its scores.
type cvResult struct {
	arts   []*article
	preds  [][][]string     // [repeat][article] sentences
	scores [][]rouge.Scores // [repeat][article]
	chosen []setting        // one per outer fold and repeat, in that order
	models []digest.Model   // the models they gave, in the same order
	folds  [][]int          // [repeat][article] outer fold
}

// foldsOf assigns each id a fold for one repeat: ids are ordered by a hash of
// the repeat number and the id and dealt out in turn, so folds are balanced,
// stable and independent of file order.
func foldsOf(ids []string, folds, repeat int) []int {
	type key struct {
		h [20]byte
		i int
	}
	keys := make([]key, len(ids))
	for i, id := range ids {
		keys[i] = key{sha1.Sum([]byte(fmt.Sprintf("%d:%s", repeat, id))), i}
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(strings.Compare(string(a.h[:]), string(b.h[:])), cmp.Compare(a.i, b.i))
	})
	out := make([]int, len(ids))
	for rank, k := range keys {
		out[k.i] = rank % folds
	}
	return out
}

// crossValidate runs nested cross-validation: each repeat deals the articles
// into outer folds; for each outer fold the whole learning procedure (model
// selection by an inner cross-validation over the grid, then the fit) runs on
// the other folds alone, and the model it returns summarizes the fold left
// out. Nothing about a scored article reaches the choices that scored it.
func crossValidate(arts []*article, o cvOptions) (cvResult, error) {
	res := cvResult{arts: arts}
	if o.folds < 2 || o.folds > len(arts) {
		return res, fmt.Errorf("need 2 to %d folds, got %d", len(arts), o.folds)
	}
	if o.repeats < 1 {
		return res, fmt.Errorf("need at least one repeat, got %d", o.repeats)
	}
	ids := make([]string, len(arts))
	for i, a := range arts {
		ids[i] = a.ID
	}
	type job struct{ r, f int }
	type done struct {
		job
		sel   setting
		model digest.Model
		preds map[int][]string
		sc    map[int]rouge.Scores
		err   error
	}
	folds := make([][]int, o.repeats)
	var jobs []job
	for r := range o.repeats {
		folds[r] = foldsOf(ids, o.folds, r)
		for f := range o.folds {
			jobs = append(jobs, job{r, f})
		}
	}
	results := make([]done, len(jobs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for j := range next {
				jb := jobs[j]
				d := done{job: jb, preds: map[int][]string{}, sc: map[int]rouge.Scores{}}
				var trainArts []*article
				var test []int
				for i, a := range arts {
					if folds[jb.r][i] == jb.f {
						test = append(test, i)
					} else {
						trainArts = append(trainArts, a)
					}
				}
				// Each outer fold deals its own inner folds.
				m, sel, err := train(trainArts, o.space, o.inner, 1000+jb.r*o.folds+jb.f)
				if err != nil {
					d.err = fmt.Errorf("repeat %d fold %d: %w", jb.r+1, jb.f+1, err)
					results[j] = d
					continue
				}
				d.sel, d.model = sel.best, m
				ext := digest.NewExtractive(digest.ExtractiveOptions{Model: &m})
				for _, i := range test {
					sum, sc := arts[i].score(m.MinWords, ext)
					d.preds[i], d.sc[i] = sum.Sentences, sc
				}
				results[j] = d
			}
		})
	}
	for j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	res.folds = folds
	res.preds = make([][][]string, o.repeats)
	res.scores = make([][]rouge.Scores, o.repeats)
	for r := range o.repeats {
		res.preds[r] = make([][]string, len(arts))
		res.scores[r] = make([]rouge.Scores, len(arts))
	}
	for _, d := range results {
		if d.err != nil {
			return res, d.err
		}
		res.chosen = append(res.chosen, d.sel)
		res.models = append(res.models, d.model)
		for i, p := range d.preds {
			res.preds[d.r][i] = p
			res.scores[d.r][i] = d.sc[i]
		}
	}
	return res, nil
}

// pooled is the mean score of repeat r over every article.
func (res cvResult) pooled(r int) rouge.Scores {
	var s rouge.Scores
	for _, x := range res.scores[r] {
		s = s.Add(x)
	}
	return s.Scale(1 / float64(len(res.arts)))
}

func (res cvResult) lead() rouge.Scores {
	var s rouge.Scores
	for _, a := range res.arts {
		s = s.Add(a.leadScore)
	}
	return s.Scale(1 / float64(len(res.arts)))
}

// margins are each article's out-of-fold score minus its Lead-3 score,
// averaged over the repeats.
func (res cvResult) margins() []rouge.Scores {
	out := make([]rouge.Scores, len(res.arts))
	for i, a := range res.arts {
		var s rouge.Scores
		for r := range res.scores {
			s = s.Add(res.scores[r][i])
		}
		out[i] = s.Scale(1 / float64(len(res.scores))).Add(a.leadScore.Scale(-1))
	}
	return out
}

// report prints a nested cross-validation in ROUGE points.
func (res cvResult) report(w io.Writer, o cvOptions) {
	pt := func(s rouge.Scores) rouge.Scores { return s.Scale(100) }
	n := len(res.arts)
	lead := res.lead()
	fmt.Fprintf(w, "nested cross-validation: %d articles, %d outer folds x %d repeats, model chosen in each by %d-fold CV on the outer training part alone\n",
		n, o.folds, o.repeats, o.inner)
	fmt.Fprintf(w, "grid: budget %v, features %v, lambda %v, min words %v, redundancy %v, lede margin %v\n",
		o.space.words, o.space.features, o.space.lambdas, o.space.minWords, o.space.redund, o.space.lede)
	if o.space.freePosition {
		fmt.Fprintln(w, "position weights free of sign constraints")
	}
	if o.space.oneSE {
		fmt.Fprintln(w, "inner choice: the simplest setting within one standard error of the best")
	} else {
		fmt.Fprintln(w, "inner choice: the best setting")
	}
	fmt.Fprintf(w, "Lead-3 %s\n", fmtScores(pt(lead)))
	fmt.Fprintf(w, "%-8s %-22s %s\n", "repeat", "default R1/R2/RLsum", "margin over Lead-3")
	for r := range res.scores {
		p := res.pooled(r)
		fmt.Fprintf(w, "%-8d %-22s %s\n", r+1, fmtScores(pt(p)), fmtSigned(pt(p.Add(lead.Scale(-1)))))
	}
	iv := bootstrap(res.margins(), o.resamples, 1)
	fmt.Fprintf(w, "margin over Lead-3 (mean over repeats), 95%% bootstrap interval over articles (%d resamples):\n", o.resamples)
	fmt.Fprintf(w, "  R1    %+.2f  [%+.2f, %+.2f]\n", 100*iv.mean.R1, 100*iv.lo.R1, 100*iv.hi.R1)
	fmt.Fprintf(w, "  R2    %+.2f  [%+.2f, %+.2f]\n", 100*iv.mean.R2, 100*iv.lo.R2, 100*iv.hi.R2)
	fmt.Fprintf(w, "  RLsum %+.2f  [%+.2f, %+.2f]\n", 100*iv.mean.RLsum, 100*iv.lo.RLsum, 100*iv.hi.RLsum)

	// Readability and Lead-3 equality of the out-of-fold summaries, all
	// repeats pooled, beside Lead-3's own.
	var def, base readability
	for _, a := range res.arts {
		kept := keptSentences(a.views[o.space.minWords[0]])
		base.add(a.Article, a.lead, kept, a.lead)
	}
	for r := range res.preds {
		for i, a := range res.arts {
			mw := res.chosen[r*o.folds+res.folds[r][i]].minWords
			def.add(a.Article, res.preds[r][i], keptSentences(a.views[mw]), a.lead)
		}
	}
	fmt.Fprintln(w, "readability of the out-of-fold summaries (all repeats):")
	readabilityHeader(w)
	base.row(w, "lead3")
	def.row(w, "default")

	counts := map[string]int{}
	for _, s := range res.chosen {
		counts[s.String()]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return counts[keys[i]] > counts[keys[j]] || counts[keys[i]] == counts[keys[j]] && keys[i] < keys[j]
	})
	fmt.Fprintf(w, "settings chosen in the %d outer folds:\n", len(res.chosen))
	for _, k := range keys {
		fmt.Fprintf(w, "  %3d  %s\n", counts[k], k)
	}
}

func keptSentences(v *view) []string {
	out := make([]string, len(v.cands))
	for i, c := range v.cands {
		out[i] = c.Text
	}
	return out
}

func fmtScores(s rouge.Scores) string {
	return fmt.Sprintf("%.2f/%.2f/%.2f", s.R1, s.R2, s.RLsum)
}

func fmtSigned(s rouge.Scores) string {
	return fmt.Sprintf("%+.2f/%+.2f/%+.2f", s.R1, s.R2, s.RLsum)
}
