package main

import (
	"math/rand/v2"
	"slices"

	"github.com/bulletin-app/bulletin/digest/rouge"
)

// interval is a mean with a percentile bootstrap interval.
type interval struct {
	mean, lo, hi rouge.Scores
}

// bootstrap resamples per-article values (here, margins over Lead-3) with
// replacement and returns their mean with the central 95% of the resampled
// means: how far the mean could move on another draw of as many articles
// from the same source. The seed is fixed, so a run is reproducible.
func bootstrap(xs []rouge.Scores, resamples int, seed uint64) interval {
	var iv interval
	n := len(xs)
	if n == 0 {
		return iv
	}
	for _, x := range xs {
		iv.mean = iv.mean.Add(x)
	}
	iv.mean = iv.mean.Scale(1 / float64(n))
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	r1 := make([]float64, resamples)
	r2 := make([]float64, resamples)
	rl := make([]float64, resamples)
	for b := range resamples {
		var s rouge.Scores
		for range n {
			s = s.Add(xs[rng.IntN(n)])
		}
		s = s.Scale(1 / float64(n))
		r1[b], r2[b], rl[b] = s.R1, s.R2, s.RLsum
	}
	q := func(v []float64, p float64) float64 {
		slices.Sort(v)
		k := int(p * float64(len(v)-1))
		return v[k]
	}
	iv.lo = rouge.Scores{R1: q(r1, 0.025), R2: q(r2, 0.025), RLsum: q(rl, 0.025)}
	iv.hi = rouge.Scores{R1: q(r1, 0.975), R2: q(r2, 0.975), RLsum: q(rl, 0.975)}
	return iv
}
