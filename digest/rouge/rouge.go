// Package rouge scores summaries against references with ROUGE-1, ROUGE-2 and
// ROUGE-Lsum F1, following rouge-score's conventions: lower case, anything
// but a-z and 0-9 separates tokens, tokens longer than three bytes are Porter
// stemmed, and Lsum compares newline-separated sentences.
package rouge

import (
	"strings"
	"sync"

	"github.com/bulletin-app/bulletin/digest/internal/porter"
)

// Scores are F1 values in [0,1].
type Scores struct {
	R1, R2, RLsum float64
}

// Add returns the element-wise sum, for averaging.
func (s Scores) Add(o Scores) Scores {
	return Scores{s.R1 + o.R1, s.R2 + o.R2, s.RLsum + o.RLsum}
}

// Scale multiplies every score by f.
func (s Scores) Scale(f float64) Scores {
	return Scores{s.R1 * f, s.R2 * f, s.RLsum * f}
}

var stems sync.Map

func stem(w string) string {
	if v, ok := stems.Load(w); ok {
		return v.(string)
	}
	s := porter.Stem(w)
	stems.Store(w, s)
	return s
}

// Tokens returns the scorer's tokens of text.
func Tokens(text string) []string {
	text = strings.ToLower(text)
	var out []string
	start := -1
	flush := func(end int) {
		if start >= 0 {
			w := text[start:end]
			if len(w) > 3 {
				w = stem(w)
			}
			out = append(out, w)
			start = -1
		}
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(text))
	return out
}

// Score compares a prediction with a reference; both hold one sentence a line.
func Score(pred, ref string) Scores {
	pt, rt := Tokens(pred), Tokens(ref)
	return Scores{
		R1:    ngramF1(pt, rt, 1),
		R2:    ngramF1(pt, rt, 2),
		RLsum: lsum(pred, ref),
	}
}

func f1(overlap, pred, ref int) float64 {
	if pred == 0 || ref == 0 || overlap == 0 {
		return 0
	}
	p, r := float64(overlap)/float64(pred), float64(overlap)/float64(ref)
	return 2 * p * r / (p + r)
}

func ngrams(t []string, n int) map[string]int {
	m := make(map[string]int)
	for i := 0; i+n <= len(t); i++ {
		m[strings.Join(t[i:i+n], " ")]++
	}
	return m
}

func ngramF1(pred, ref []string, n int) float64 {
	a, b := ngrams(pred, n), ngrams(ref, n)
	overlap, na, nb := 0, 0, 0
	for k, c := range a {
		na += c
		overlap += min(c, b[k])
	}
	for _, c := range b {
		nb += c
	}
	return f1(overlap, na, nb)
}

func lines(text string) [][]string {
	var out [][]string
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, Tokens(l))
		}
	}
	return out
}

// lcsHits marks the tokens of ref that lie on a longest common subsequence
// with p, walking the table back the same way the reference scorer does.
func lcsHits(ref, p []string, hit []bool) {
	w := len(p) + 1
	t := make([]int, (len(ref)+1)*w)
	for i := 1; i <= len(ref); i++ {
		for j := 1; j <= len(p); j++ {
			if ref[i-1] == p[j-1] {
				t[i*w+j] = t[(i-1)*w+j-1] + 1
			} else {
				t[i*w+j] = max(t[(i-1)*w+j], t[i*w+j-1])
			}
		}
	}
	i, j := len(ref), len(p)
	for i > 0 && j > 0 {
		switch {
		case ref[i-1] == p[j-1]:
			hit[i-1] = true
			i--
			j--
		case t[(i-1)*w+j] >= t[i*w+j-1]:
			i--
		default:
			j--
		}
	}
}

func lsum(pred, ref string) float64 {
	ps, rs := lines(pred), lines(ref)
	pc, rc := map[string]int{}, map[string]int{}
	np, nr := 0, 0
	for _, s := range ps {
		np += len(s)
		for _, w := range s {
			pc[w]++
		}
	}
	for _, s := range rs {
		nr += len(s)
		for _, w := range s {
			rc[w]++
		}
	}
	hits := 0
	for _, r := range rs {
		hit := make([]bool, len(r))
		for _, p := range ps {
			lcsHits(r, p, hit)
		}
		for i, h := range hit {
			if !h {
				continue
			}
			w := r[i]
			if pc[w] > 0 && rc[w] > 0 {
				hits++
				pc[w]--
				rc[w]--
			}
		}
	}
	return f1(hits, np, nr)
}
