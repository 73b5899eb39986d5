// Command sumeval measures bulletin's summarizers on a JSONL file of news
// articles with reference summaries: ROUGE-1, ROUGE-2 and ROUGE-Lsum F1,
// articles per second and readability (summaries that open with an
// unresolved pronoun or connective, or put sentences out of the article's
// order) for Lead-3, plain TextRank and the default extractive summarizer (or,
// with -teaser, for one-sentence teasers). It writes each system's
// predictions to DIR/<system>.jsonl so that an independent scorer can check
// the figures.
//
// With -crossval it measures the whole learning procedure by nested
// cross-validation: every choice (word budget, feature set, penalty,
// cleaning setting, redundancy, lede margin, weights) is made on the outer training folds
// alone, the model then summarizes the fold left out, and the margin over
// Lead-3 is given with a 95% bootstrap interval. With -train it runs that
// procedure on every article and prints the model as Go source.
//
// Usage:
//
//	go run ./cmd/sumeval -data cnndm-dev.jsonl -out /tmp/sum
//	go run ./cmd/sumeval -data xsum-dev.jsonl -out /tmp/teaser -teaser
//	go run ./cmd/sumeval -data cnndm-dev.jsonl -crossval -folds 5 -repeats 4 -out /tmp/cv
//	go run ./cmd/sumeval -data cnndm-dev.jsonl -train > digest/weights.go
package main

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/bulletin-app/bulletin/digest"
	"github.com/bulletin-app/bulletin/digest/rouge"
)

// example is one line of the evaluation file.
type example struct {
	ID        string `json:"id"`
	Title     string `json:"title,omitempty"`
	Article   string `json:"article"`
	Reference string `json:"reference"`
}

func main() {
	data := flag.String("data", "", "evaluation file (JSONL: id, article, reference, optional title)")
	out := flag.String("out", "", "folder for each system's predictions (DIR/<system>.jsonl)")
	teaser := flag.Bool("teaser", false, "evaluate one-sentence teasers instead of summaries")
	split := flag.String("split", "all", "which articles: all, tune or held (two halves by a hash of the id)")
	words := flag.Int("words", 0, "word budget of the default summarizer (0: its model's)")
	sentences := flag.Int("sentences", 0, "most sentences in a summary of the default summarizer (0: its default)")
	train := flag.Bool("train", false, "run the learning procedure on the chosen articles and print the model as Go source")
	crossVal := flag.Bool("crossval", false, "nested cross-validation of the learning procedure")
	folds := flag.Int("folds", 5, "outer folds of -crossval")
	repeats := flag.Int("repeats", 4, "repeats of -crossval, each with its own random folds")
	inner := flag.Int("inner", 5, "folds of the cross-validation that chooses the model's settings")
	resamples := flag.Int("resamples", 10000, "bootstrap resamples of -crossval's intervals")
	labels := flag.String("labels", "oracle", "training labels: oracle (greedy ROUGE oracle picks) or rouge (each sentence's own ROUGE)")
	grid := flag.String("grid", "", "override grid dimensions, e.g. 'words=60,65;features=all;lambda=3;minwords=6;redundancy=0.5;lede=0,1'")
	freePosition := flag.Bool("free-position", false, "let position weights take either sign (for comparison)")
	selectBest := flag.Bool("select-best", false, "choose the setting with the best cross-validated score, not by the one-standard-error rule (for comparison)")
	pyScorer := flag.String("rouge-py", "", "path to rouge.py; when set, each system's predictions are also scored by it")
	flag.Parse()
	if *data == "" || (*out == "" && !*train && !*crossVal) {
		fmt.Fprintln(os.Stderr, "usage: sumeval -data FILE.jsonl -out DIR [-teaser] [-split all|tune|held] [-rouge-py rouge.py]\n"+
			"       sumeval -data FILE.jsonl -crossval [-folds 5 -repeats 4 -inner 5] [-out DIR [-rouge-py rouge.py]]\n"+
			"       sumeval -data FILE.jsonl -train > digest/weights.go")
		os.Exit(2)
	}
	exs, err := load(*data, *split)
	if err != nil {
		slog.Error("load", "err", err)
		os.Exit(1)
	}
	sp, err := parseGrid(defaultSpace, *grid)
	if err != nil {
		slog.Error("grid", "err", err)
		os.Exit(2)
	}
	sp.freePosition = *freePosition
	sp.oneSE = !*selectBest
	if *train || *crossVal {
		arts, err := prepare(exs, sp, *labels)
		if err != nil {
			slog.Error("prepare", "err", err)
			os.Exit(1)
		}
		if *train {
			if err := learn(os.Stdout, arts, sp, *inner, *labels); err != nil {
				slog.Error("train", "err", err)
				os.Exit(1)
			}
			return
		}
		o := cvOptions{folds: *folds, repeats: *repeats, inner: *inner, space: sp, resamples: *resamples}
		start := time.Now()
		res, err := crossValidate(arts, o)
		if err != nil {
			slog.Error("crossval", "err", err)
			os.Exit(1)
		}
		res.report(os.Stdout, o)
		fmt.Printf("(%s)\n", time.Since(start).Round(time.Second))
		if *out != "" {
			if err := writeCrossVal(res, *data, *split, *out, *pyScorer); err != nil {
				slog.Error("out", "err", err)
				os.Exit(1)
			}
		}
		return
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		slog.Error("out", "err", err)
		os.Exit(1)
	}
	ext := digest.NewExtractive(digest.ExtractiveOptions{Words: *words, MaxSentences: *sentences})
	var systems []system
	if *teaser {
		systems = []system{
			{"first", func(e example) []string { return firstSentence(e.Article) }},
			{"textrank", teaserOf(digest.TextRank{})},
			{"default", teaserOf(ext)},
		}
	} else {
		systems = []system{
			{"lead3", func(e example) []string { return lead3(e.Article) }},
			{"lead3clean", cleanLead3},
			{"textrank", summaryOf(digest.TextRank{})},
			{"default", summaryOf(ext)},
		}
	}
	evalFile, err := evalFileFor(*data, *split, *out, *pyScorer, exs)
	if err != nil {
		slog.Error("subset", "err", err)
		os.Exit(1)
	}
	kept := make([][]string, len(exs))
	leads := make([][]string, len(exs))
	for i, e := range exs {
		kept[i] = cleanLead(e, -1)
		leads[i] = lead3(e.Article)
	}
	fmt.Printf("%d articles (%s, split %s)\n", len(exs), filepath.Base(*data), *split)
	fmt.Printf("%-10s %7s %7s %7s %12s\n", "system", "R1", "R2", "RLsum", "articles/s")
	reads := make([]readability, len(systems))
	for k, s := range systems {
		res, err := run(s, exs, filepath.Join(*out, s.name+".jsonl"))
		if err != nil {
			slog.Error("run", "system", s.name, "err", err)
			os.Exit(1)
		}
		fmt.Printf("%-10s %7.2f %7.2f %7.2f %12.0f\n", s.name, 100*res.scores.R1, 100*res.scores.R2, 100*res.scores.RLsum, res.rate)
		for i, e := range exs {
			reads[k].add(e.Article, res.preds[i], kept[i], leads[i])
		}
		if *pyScorer != "" {
			line, err := pyScore(*pyScorer, evalFile, filepath.Join(*out, s.name+".jsonl"))
			if err != nil {
				slog.Error("rouge.py", "err", err)
				os.Exit(1)
			}
			fmt.Printf("%-10s %s\n", "  rouge.py", line)
		}
	}
	fmt.Println()
	readabilityHeader(os.Stdout)
	for k, s := range systems {
		reads[k].row(os.Stdout, s.name)
	}
	fmt.Print(readabilityLegend)
}

// evalFileFor returns the file an outside scorer should score the chosen
// articles against: the data file itself, or a copy of the chosen lines when
// only a split is evaluated (the scorer averages over every line of its
// file).
func evalFileFor(data, split, out, pyScorer string, exs []example) (string, error) {
	if split == "all" || pyScorer == "" {
		return data, nil
	}
	path := filepath.Join(out, "eval-"+split+".jsonl")
	return path, writeSubset(data, path, exs)
}

// writeCrossVal writes the first repeat's out-of-fold summaries and Lead-3 as
// DIR/default.jsonl and DIR/lead3.jsonl and, with rouge.py, scores them.
func writeCrossVal(res cvResult, data, split, out, pyScorer string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	exs := make([]example, len(res.arts))
	lead := make([][]string, len(res.arts))
	for i, a := range res.arts {
		exs[i] = a.example
		lead[i] = a.lead
	}
	evalFile, err := evalFileFor(data, split, out, pyScorer, exs)
	if err != nil {
		return err
	}
	fmt.Println("first repeat's out-of-fold predictions:")
	for _, s := range []struct {
		name  string
		preds [][]string
	}{{"lead3", lead}, {"default", res.preds[0]}} {
		path := filepath.Join(out, s.name+".jsonl")
		sc, err := writePreds(path, exs, s.preds)
		if err != nil {
			return err
		}
		fmt.Printf("%-10s Go       R1 %.2f R2 %.2f RLsum %.2f  (%s)\n", s.name, 100*sc.R1, 100*sc.R2, 100*sc.RLsum, path)
		if pyScorer != "" {
			line, err := pyScore(pyScorer, evalFile, path)
			if err != nil {
				return err
			}
			fmt.Printf("%-10s rouge.py %s\n", s.name, line)
		}
	}
	return nil
}

type system struct {
	name string
	run  func(example) []string
}

func summaryOf(s digest.Summarizer) func(example) []string {
	return func(e example) []string {
		sum, err := s.Summarize(context.Background(), digest.Document{Title: e.Title, Text: e.Article})
		if err != nil {
			slog.Warn("summarize", "id", e.ID, "err", err)
		}
		return sum.Sentences
	}
}

func teaserOf(s digest.Summarizer) func(example) []string {
	return func(e example) []string {
		sum, err := s.Summarize(context.Background(), digest.Document{Title: e.Title, Text: e.Article})
		if err != nil {
			slog.Warn("summarize", "id", e.ID, "err", err)
		}
		if sum.Teaser == "" {
			return nil
		}
		return []string{sum.Teaser}
	}
}

type result struct {
	scores rouge.Scores
	rate   float64
	preds  [][]string
}

// run summarizes every article (timing only that), writes the predictions
// and scores them.
func run(s system, exs []example, path string) (result, error) {
	preds := make([][]string, len(exs))
	start := time.Now()
	for i, e := range exs {
		preds[i] = s.run(e)
	}
	elapsed := time.Since(start)
	total, err := writePreds(path, exs, preds)
	if err != nil {
		return result{}, err
	}
	return result{scores: total, rate: float64(len(exs)) / elapsed.Seconds(), preds: preds}, nil
}

// writePreds writes one line {"id", "summary"} per article, the summary's
// sentences one a line, and returns their mean scores.
func writePreds(path string, exs []example, preds [][]string) (rouge.Scores, error) {
	f, err := os.Create(path)
	if err != nil {
		return rouge.Scores{}, err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	var total rouge.Scores
	for i, e := range exs {
		text := strings.Join(oneLine(preds[i]), "\n")
		if err := enc.Encode(map[string]string{"id": e.ID, "summary": text}); err != nil {
			f.Close()
			return rouge.Scores{}, err
		}
		total = total.Add(rouge.Score(text, e.Reference))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return rouge.Scores{}, err
	}
	if err := f.Close(); err != nil {
		return rouge.Scores{}, err
	}
	return total.Scale(1 / float64(max(len(exs), 1))), nil
}

// oneLine keeps each sentence on its own line, as Lsum expects.
func oneLine(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, strings.Join(strings.Fields(s), " "))
	}
	return out
}

// inSplit assigns an article to the tuning half or the held-out half by a
// hash of its id, so the split is stable and independent of file order.
func inSplit(id, split string) bool {
	h := sha1.Sum([]byte(id))
	tune := h[0]%2 == 0
	switch split {
	case "tune":
		return tune
	case "held":
		return !tune
	}
	return true
}

func load(path, split string) ([]example, error) {
	if split != "all" && split != "tune" && split != "held" {
		return nil, fmt.Errorf("unknown split %q (want all, tune or held)", split)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []example
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var e example
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			slog.Warn("skipping bad line", "file", path, "line", line, "err", err)
			continue
		}
		if inSplit(e.ID, split) {
			out = append(out, e)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}

// writeSubset copies the lines of the chosen articles to path.
func writeSubset(src, path string, exs []example) error {
	keep := map[string]bool{}
	for _, e := range exs {
		keep[e.ID] = true
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e example
		if json.Unmarshal(sc.Bytes(), &e) == nil && keep[e.ID] {
			fmt.Fprintf(out, "%s\n", sc.Bytes())
		}
	}
	if err := sc.Err(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func pyScore(script, evalFile, predFile string) (string, error) {
	cmd := exec.Command("/usr/bin/python3", script, evalFile, predFile)
	cmd.Stderr = io.Discard
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s: %w", script, err)
	}
	return strings.TrimSpace(string(b)), nil
}
