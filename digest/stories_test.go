package digest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/internal/testtool"
	"github.com/bulletin-app/bulletin/store"
)

// referenceDuplicates is how duplicates were found before the index: each
// entry against every story told so far, in order, the first that reaches
// the threshold winning. It is the reference the index must agree with.
func referenceDuplicates(issued, entries []store.Entry) map[int64]int64 {
	ti := newTermIndex()
	type story struct {
		id    int64
		terms bag
	}
	storyOf := func(e store.Entry) story {
		return story{e.ID, newBag(contentTerms(e.Title+"\n"+strings.Join(e.Summary, " "), ti, nil))}
	}
	var told []story
	for _, e := range issued {
		told = append(told, storyOf(e))
	}
	dups := map[int64]int64{}
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		s := storyOf(e)
		dup := int64(0)
		for _, t := range told {
			if setCosine(s.terms, t.terms) >= duplicateSimilarity {
				dup = t.id
				break
			}
		}
		if dup != 0 {
			dups[e.ID] = dup
			continue
		}
		told = append(told, s)
	}
	return dups
}

// compareMerges checks that the index merges exactly what the reference
// does, and returns how many merges there were against issued entries and
// within the new ones.
func compareMerges(t *testing.T, issued, entries []store.Entry) (withIssued, within int) {
	t.Helper()
	want := referenceDuplicates(issued, entries)
	got := duplicatesOf(issued, entries)
	isIssued := map[int64]bool{}
	for _, e := range issued {
		isIssued[e.ID] = true
	}
	for id, of := range want {
		if got[id] != of {
			t.Errorf("entry %d: merged into %d, the reference merges it into %d", id, got[id], of)
		}
		if isIssued[of] {
			withIssued++
		} else {
			within++
		}
	}
	for id, of := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("entry %d: merged into %d, the reference keeps it", id, of)
		}
	}
	return withIssued, within
}

// evalDocuments reads the shared evaluation articles and the seeds, or
// skips the test when they are not there (they are not part of the
// repository).
func evalDocuments(t *testing.T) []Document {
	t.Helper()
	var docs []Document
	for _, name := range []string{"cnndm-dev.jsonl", "xsum-dev.jsonl"} {
		f, err := os.Open(filepath.Join(evalDir(), name))
		if err != nil {
			testtool.Missing(t, "the evaluation articles in ../shared/eval: "+err.Error())
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			var rec struct {
				Article string `json:"article"`
			}
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			docs = append(docs, Document{Text: rec.Article})
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	seeds, _ := filepath.Glob(filepath.Join(evalDir(), "..", "seeds", "*.txt"))
	if len(seeds) == 0 {
		testtool.Missing(t, "the seed articles in ../shared/seeds")
	}
	for _, name := range seeds {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		title, text, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
		docs = append(docs, Document{Title: strings.TrimSpace(title), Text: text})
	}
	return docs
}

// TestDuplicatesMatchTheReferenceOnNews builds entries from the evaluation
// articles and the seeds, with the summaries bulletin writes, and with
// copies of many of them as outlets make them: the same text, the lede
// dropped, the last paragraph cut, a line added. Some copies reach the
// threshold and some do not; the index must merge exactly what comparing
// with every story merges.
func TestDuplicatesMatchTheReferenceOnNews(t *testing.T) {
	docs := evalDocuments(t)
	sum := NewExtractive(ExtractiveOptions{})
	rng := rand.New(rand.NewPCG(13, 1))
	var all []store.Entry
	add := func(d Document) {
		s, err := sum.Summarize(t.Context(), d)
		if err != nil || len(s.Sentences) == 0 {
			return
		}
		all = append(all, store.Entry{Title: d.Title, Summary: s.Sentences})
	}
	for i, d := range docs {
		add(d)
		if d.Title == "" {
			// Titles as a headline would read: the first words of the lede.
			w := strings.Fields(d.Text)
			all[len(all)-1].Title = strings.Join(w[:min(len(w), 10)], " ")
		}
		paras := strings.Split(d.Text, "\n")
		switch i % 5 {
		case 0:
			add(Document{Title: all[len(all)-1].Title, Text: d.Text})
		case 1:
			_, rest, _ := strings.Cut(d.Text, ". ")
			add(Document{Title: all[len(all)-1].Title, Text: rest})
		case 2:
			if len(paras) > 2 {
				add(Document{Text: strings.Join(paras[:len(paras)-1], "\n")})
			}
		case 3:
			add(Document{Title: "Update: " + all[len(all)-1].Title, Text: d.Text + "\n\nThis story has been updated."})
		}
	}
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	for i := range all {
		all[i].ID = int64(i + 1)
	}
	// The first 150 were issued earlier (newest first); the rest await an
	// issue, newest first as UnissuedEntries gives them.
	issued := reversed(all[:150])
	entries := reversed(all[150:])
	withIssued, within := compareMerges(t, issued, entries)
	t.Logf("%d entries: %d merged into an issued story, %d into a new one", len(all), withIssued, within)
	if withIssued < 10 || within < 50 {
		t.Errorf("only %d and %d merges: the data does not exercise the index", withIssued, within)
	}
}

func reversed(es []store.Entry) []store.Entry {
	out := make([]store.Entry, len(es))
	for i, e := range es {
		out[len(es)-1-i] = e
	}
	return out
}

// TestDuplicatesMatchTheReferenceNearTheThreshold draws sets of words from
// a small vocabulary, so that very many pairs score around the threshold,
// and checks the index against the reference on them.
func TestDuplicatesMatchTheReferenceNearTheThreshold(t *testing.T) {
	vocab := make([]string, 40)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("term%c%c", 'a'+i%26, 'a'+i/26)
	}
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 2))
		var all []store.Entry
		for i := range 300 {
			n := 1 + rng.IntN(20)
			words := make([]string, n)
			for j := range words {
				// Skewed: low terms are common, high ones rare.
				words[j] = vocab[int(float64(len(vocab))*rng.Float64()*rng.Float64())]
			}
			all = append(all, store.Entry{ID: int64(i + 1), Title: strings.Join(words, " ")})
		}
		issued := reversed(all[:50])
		entries := reversed(all[50:])
		withIssued, within := compareMerges(t, issued, entries)
		if withIssued+within == 0 {
			t.Errorf("seed %d: no merges at all", seed)
		}
	}
}
