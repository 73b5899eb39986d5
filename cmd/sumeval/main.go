// Command sumeval measures bulletin's summarizers on a JSONL file of news
// articles with reference summaries: ROUGE-1, ROUGE-2 and ROUGE-Lsum F1 and
// articles per second for Lead-3, plain TextRank and the default extractive
// summarizer (or, with -teaser, for one-sentence teasers). It writes each
// system's predictions to DIR/<system>.jsonl so that an independent scorer can
// check the figures. With -train it instead learns the extractive model's
// weights and prints them as Go source; with -crossval it measures, by
// repeated k-fold cross-validation, how far the summarizer beats Lead-3 on
// articles its weights never saw.
//
// Usage:
//
//	go run ./cmd/sumeval -data cnndm-dev.jsonl -out /tmp/sum
//	go run ./cmd/sumeval -data xsum-dev.jsonl -out /tmp/teaser -teaser
//	go run ./cmd/sumeval -data cnndm-dev.jsonl -train > digest/weights.go
//	go run ./cmd/sumeval -data cnndm-dev.jsonl -crossval -folds 5 -repeats 5
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

// defaultLambda is the L2 penalty the shipped weights were fitted with.
const defaultLambda = 3.0

func main() {
	data := flag.String("data", "", "evaluation file (JSONL: id, article, reference, optional title)")
	out := flag.String("out", "", "folder for each system's predictions (DIR/<system>.jsonl)")
	teaser := flag.Bool("teaser", false, "evaluate one-sentence teasers instead of summaries")
	split := flag.String("split", "all", "which articles: all, tune (the half the model is fitted on) or held (the other half)")
	words := flag.Int("words", 0, "word budget of the default summarizer (0: its default)")
	train := flag.Bool("train", false, "learn the extractive model's weights on the chosen articles and print them as Go source")
	crossVal := flag.Bool("crossval", false, "repeated k-fold cross-validation: fit the model on all folds but one, score it on that one")
	folds := flag.Int("folds", 5, "folds of -crossval")
	repeats := flag.Int("repeats", 5, "repeats of -crossval, each with its own random folds")
	lambda := flag.Float64("lambda", defaultLambda, "L2 penalty of the fitted model")
	features := flag.String("features", "", "comma-separated FeatureNames the fitted model uses (empty: all)")
	labels := flag.String("labels", "oracle", "training labels: oracle (greedy ROUGE oracle picks) or rouge (each sentence's own ROUGE)")
	sentences := flag.Int("sentences", 0, "most sentences in a summary of the default summarizer (0: its default)")
	redundancy := flag.Float64("redundancy", 0, "MMR redundancy weight of the default summarizer (0: its default)")
	pyScorer := flag.String("rouge-py", "", "path to rouge.py; when set, each system's predictions are also scored by it")
	flag.Parse()
	if *data == "" || (*out == "" && !*train && !*crossVal) {
		fmt.Fprintln(os.Stderr, "usage: sumeval -data FILE.jsonl -out DIR [-teaser] [-split all|tune|held] [-rouge-py rouge.py]")
		os.Exit(2)
	}
	exs, err := load(*data, *split)
	if err != nil {
		slog.Error("load", "err", err)
		os.Exit(1)
	}
	fo := fitOptions{lambda: *lambda, labels: *labels}
	if *features != "" {
		fo.features = strings.Split(*features, ",")
	}
	opts := digest.ExtractiveOptions{Words: *words, MaxSentences: *sentences, Redundancy: *redundancy}
	if *train {
		if err := learn(os.Stdout, exs, fo); err != nil {
			slog.Error("train", "err", err)
			os.Exit(1)
		}
		return
	}
	if *crossVal {
		o := cvOptions{folds: *folds, repeats: *repeats, fit: fo, summarizer: opts}
		res, err := crossValidate(exs, o)
		if err != nil {
			slog.Error("crossval", "err", err)
			os.Exit(1)
		}
		res.report(os.Stdout, o)
		return
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		slog.Error("out", "err", err)
		os.Exit(1)
	}
	ext := digest.NewExtractive(opts)
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
	evalFile := *data
	if *split != "all" && *pyScorer != "" {
		// The independent scorer averages over every article of its file.
		evalFile = filepath.Join(*out, "eval-"+*split+".jsonl")
		if err := writeSubset(*data, evalFile, exs); err != nil {
			slog.Error("subset", "err", err)
			os.Exit(1)
		}
	}
	fmt.Printf("%d articles (%s, split %s)\n", len(exs), filepath.Base(*data), *split)
	fmt.Printf("%-10s %7s %7s %7s %12s\n", "system", "R1", "R2", "RLsum", "articles/s")
	for _, s := range systems {
		res, err := run(s, exs, filepath.Join(*out, s.name+".jsonl"))
		if err != nil {
			slog.Error("run", "system", s.name, "err", err)
			os.Exit(1)
		}
		fmt.Printf("%-10s %7.2f %7.2f %7.2f %12.0f\n", s.name, 100*res.scores.R1, 100*res.scores.R2, 100*res.scores.RLsum, res.rate)
		if *pyScorer != "" {
			line, err := pyScore(*pyScorer, evalFile, filepath.Join(*out, s.name+".jsonl"))
			if err != nil {
				slog.Error("rouge.py", "err", err)
				os.Exit(1)
			}
			fmt.Printf("%-10s %s\n", "  rouge.py", line)
		}
	}
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
	f, err := os.Create(path)
	if err != nil {
		return result{}, err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	var total rouge.Scores
	for i, e := range exs {
		text := strings.Join(oneLine(preds[i]), "\n")
		if err := enc.Encode(map[string]string{"id": e.ID, "summary": text}); err != nil {
			f.Close()
			return result{}, err
		}
		total = total.Add(rouge.Score(text, e.Reference))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return result{}, err
	}
	if err := f.Close(); err != nil {
		return result{}, err
	}
	n := max(len(exs), 1)
	return result{scores: total.Scale(1 / float64(n)), rate: float64(len(exs)) / elapsed.Seconds()}, nil
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
