package digest

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
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
