package digest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bulletin-app/bulletin/internal/newsgen"
	"github.com/bulletin-app/bulletin/store"
)

// evalDir is where the shared evaluation data lives; BULLETIN_EVAL_DIR
// overrides it.
func evalDir() string {
	if d := os.Getenv("BULLETIN_EVAL_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared", "eval")
}

// loadDevDocs reads the articles of an evaluation file, skipping the
// benchmark when the file is absent (it is not part of the repository).
func loadDevDocs(b *testing.B, name string) []Document {
	f, err := os.Open(filepath.Join(evalDir(), name))
	if err != nil {
		b.Skipf("evaluation data not available: %v", err)
	}
	defer f.Close()
	var docs []Document
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e struct {
			Title   string `json:"title"`
			Article string `json:"article"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		docs = append(docs, Document{Title: e.Title, Text: e.Article})
	}
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
	return docs
}

// benchmarkSummarizer reports articles per second and allocation per article.
func benchmarkSummarizer(b *testing.B, s Summarizer, file string) {
	docs := loadDevDocs(b, file)
	ctx := b.Context()
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		if _, err := s.Summarize(ctx, docs[n%len(docs)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "articles/s")
}

func BenchmarkExtractiveCNNDM(b *testing.B) {
	benchmarkSummarizer(b, NewExtractive(ExtractiveOptions{}), "cnndm-dev.jsonl")
}

func BenchmarkExtractiveXSum(b *testing.B) {
	benchmarkSummarizer(b, NewExtractive(ExtractiveOptions{}), "xsum-dev.jsonl")
}

func BenchmarkTextRankCNNDM(b *testing.B) {
	benchmarkSummarizer(b, TextRank{}, "cnndm-dev.jsonl")
}

// newsEntries are entries made from generated news articles (see
// internal/newsgen), summarized as bulletin summarizes them, oldest first.
var newsEntries = sync.OnceValues(func() ([]store.Entry, error) {
	m, err := newsgen.Load(evalDir())
	if err != nil {
		return nil, err
	}
	as, err := m.Generate(10000, newsgen.Options{Seed: 1})
	if err != nil {
		return nil, err
	}
	sum := NewExtractive(ExtractiveOptions{})
	out := make([]store.Entry, len(as))
	for i, a := range as {
		s, err := sum.Summarize(context.Background(), Document{Title: a.Title, Text: strings.Join(a.Paragraphs, "\n\n")})
		if err != nil {
			return nil, err
		}
		out[i] = store.Entry{ID: int64(i + 1), Title: a.Title, Summary: s.Sentences,
			Names: s.Names}
	}
	return out, nil
})

// BenchmarkDuplicates finds the copies among n new entries, with 200
// issued ones before them, through the index and, for comparison, the
// way it was done before (each against every story told).
func BenchmarkDuplicates(b *testing.B) {
	all, err := newsEntries()
	if err != nil {
		b.Skipf("evaluation data not available: %v", err)
	}
	for _, n := range []int{1000, 10000} {
		if n+recentStories > len(all) {
			n = len(all) - recentStories
		}
		issued := make([]store.Entry, recentStories)
		for i := range issued {
			issued[i] = all[recentStories-1-i]
		}
		entries := make([]store.Entry, n)
		for i := range entries {
			entries[i] = all[recentStories+n-1-i]
		}
		for _, impl := range []struct {
			name string
			f    func(issued, entries []store.Entry) map[int64]int64
		}{{"index", duplicatesOf}, {"every-story", referenceDuplicates}} {
			b.Run(fmt.Sprintf("%s/entries=%d", impl.name, n), func(b *testing.B) {
				var dups int
				for b.Loop() {
					dups = len(impl.f(issued, entries))
				}
				b.ReportMetric(float64(dups), "merged")
			})
		}
	}
}

// BenchmarkStoryNames finds the names of news articles, as SummarizeNew
// does for each article beside its summary.
func BenchmarkStoryNames(b *testing.B) {
	docs := loadDevDocs(b, "cnndm-dev.jsonl")
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		d := docs[n%len(docs)]
		StoryNames(d.Title, d.Text)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "articles/s")
}

// BenchmarkContinuations links the new entries of one issue (20) and of a
// first import (1,000) to a window of storyWindow issued entries.
func BenchmarkContinuations(b *testing.B) {
	all, err := newsEntries()
	if err != nil {
		b.Skipf("evaluation data not available: %v", err)
	}
	issued := make([]store.Entry, storyWindow)
	for i := range issued {
		issued[i] = all[storyWindow-1-i]
	}
	for _, n := range []int{20, 1000} {
		entries := make([]store.Entry, n)
		for i := range entries {
			entries[i] = all[storyWindow+n-1-i]
		}
		b.Run(fmt.Sprintf("issued=%d/entries=%d", storyWindow, n), func(b *testing.B) {
			var links int
			for b.Loop() {
				links = len(continuationsOf(issued, entries))
			}
			b.ReportMetric(float64(links), "linked")
		})
	}
}
