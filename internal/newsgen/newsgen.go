// Package newsgen makes news-like articles for benchmarks: any number of
// them, distinct, of about 690 words, dated, from a handful of outlets, with
// a few syndicated copies among them as real wires have. The words come from
// a word-pair (order 2) Markov model of real news text read at run time
// (the shared evaluation articles, which are not part of the repository), so
// that the vocabulary, the sentence lengths and the share of rare names are
// those of news, while no article repeats another.
package newsgen

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
)

// Model is what articles are generated from.
type Model struct {
	next   map[pair][]string   // the words seen after each pair of words
	next1  map[string][]string // the words seen after each word
	starts []pair              // the first two words of each source sentence
}

// shortMemory is how often the next word follows the last word alone
// rather than the last two: enough that no sentence of the source comes
// out whole for long, while the words keep their local order.
const shortMemory = 0.3

type pair [2]string

// sentence ends, as the model sees them: a word that closes a sentence.
func endsSentence(w string) bool {
	w = strings.TrimRight(w, `"'’”)`)
	return strings.HasSuffix(w, ".") || strings.HasSuffix(w, "?") || strings.HasSuffix(w, "!")
}

// Load builds a model from the "article" field of every JSON line of the
// *.jsonl files in dir.
func Load(dir string) (*Model, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("newsgen: no *.jsonl articles in %s", dir)
	}
	m := &Model{next: map[pair][]string{}, next1: map[string][]string{}}
	for _, name := range files {
		if err := m.addFile(name); err != nil {
			return nil, err
		}
	}
	if len(m.starts) < 100 {
		return nil, fmt.Errorf("newsgen: %s holds too little text (%d sentences)", dir, len(m.starts))
	}
	return m, nil
}

func (m *Model) addFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var rec struct {
			Article string `json:"article"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return fmt.Errorf("newsgen: %s: %w", name, err)
		}
		m.addText(rec.Article)
	}
	return sc.Err()
}

// addText learns the word pairs of a text, sentence by sentence.
func (m *Model) addText(text string) {
	words := strings.Fields(text)
	start := true
	for i := 0; i+2 < len(words); i++ {
		if start && startsSentence(words[i]) {
			m.starts = append(m.starts, pair{words[i], words[i+1]})
		}
		start = endsSentence(words[i])
		k := pair{words[i], words[i+1]}
		m.next[k] = append(m.next[k], words[i+2])
		m.next1[words[i]] = append(m.next1[words[i]], words[i+1])
	}
}

func startsSentence(w string) bool {
	for _, r := range w {
		return unicode.IsUpper(r)
	}
	return false
}

// Article is one generated article.
type Article struct {
	Title     string
	URL       string
	Author    string
	Source    string
	Published time.Time
	// Paragraphs hold the text, a few sentences each.
	Paragraphs []string
	// CopyOf is the index of the article this one is a syndicated copy of,
	// or -1.
	CopyOf int
}

// Words counts the words of the text.
func (a Article) Words() int {
	n := 0
	for _, p := range a.Paragraphs {
		n += len(strings.Fields(p))
	}
	return n
}

// Markdown renders the article as bulletin's folder source reads it: YAML
// front matter, then the paragraphs.
func (a Article) Markdown() []byte {
	var b strings.Builder
	b.WriteString("---\n")
	fmt.Fprintf(&b, "title: %s\n", yamlString(a.Title))
	fmt.Fprintf(&b, "url: %s\n", a.URL)
	fmt.Fprintf(&b, "date: %s\n", a.Published.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "author: %s\n", yamlString(a.Author))
	b.WriteString("---\n\n")
	for _, p := range a.Paragraphs {
		b.WriteString(p)
		b.WriteString("\n\n")
	}
	return []byte(b.String())
}

func yamlString(s string) string {
	j, _ := json.Marshal(s) // a JSON string is a YAML double-quoted scalar
	return string(j)
}

// Options tune Generate.
type Options struct {
	// Seed makes the same articles again; articles of one seed are a
	// prefix of a longer run of the same seed.
	Seed uint64
	// Words is the mean length of an article. Default 690.
	Words int
	// CopyRate is the share of articles that are copies of a recent one
	// from another outlet, lightly edited. Default 0.03; negative for none.
	CopyRate float64
	// Start is the publication time of the first article; each later one
	// is published Every after the one before. Defaults: 2026-01-05 and
	// 10 minutes.
	Start time.Time
	Every time.Duration
}

var outlets = []struct{ name, host string }{
	{"Harbor Times", "harbortimes.example"},
	{"The Daily Ledger", "dailyledger.example"},
	{"Northern Wire", "northernwire.example"},
	{"Metro Courier", "metrocourier.example"},
	{"Valley Post", "valleypost.example"},
	{"Capital Report", "capitalreport.example"},
	{"Coastal Herald", "coastalherald.example"},
	{"The Evening Standard-Bearer", "standardbearer.example"},
}

var firstNames = []string{"Ana", "Ben", "Chloe", "Dev", "Elif", "Femi", "Greta", "Hiro", "Ines", "Jonas", "Kira", "Luis", "Mona", "Nils", "Oona", "Priya"}
var lastNames = []string{"Abara", "Berg", "Castillo", "Dunn", "Eriksen", "Fontaine", "Gill", "Haddad", "Ivanova", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Park"}

// Generate makes n articles. It returns an error only for a model that
// cannot make sentences.
func (m *Model) Generate(n int, opts Options) ([]Article, error) {
	if opts.Words <= 0 {
		opts.Words = 690
	}
	if opts.CopyRate == 0 {
		opts.CopyRate = 0.03
	}
	if opts.Start.IsZero() {
		opts.Start = time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC)
	}
	if opts.Every <= 0 {
		opts.Every = 10 * time.Minute
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x6e657773))
	out := make([]Article, 0, n)
	for i := range n {
		published := opts.Start.Add(time.Duration(i) * opts.Every)
		outlet := outlets[rng.IntN(len(outlets))]
		a := Article{
			Author:    firstNames[rng.IntN(len(firstNames))] + " " + lastNames[rng.IntN(len(lastNames))],
			Source:    outlet.name,
			Published: published,
			CopyOf:    -1,
		}
		if i > 0 && rng.Float64() < opts.CopyRate {
			orig := max(0, i-1-rng.IntN(min(i, 50)))
			a.CopyOf = orig
			a.Title = out[orig].Title
			a.Paragraphs = edit(rng, out[orig].Paragraphs)
		} else {
			title, err := m.sentence(rng, 8, 30)
			if err != nil {
				return nil, err
			}
			a.Title = headline(rng, title, 6+rng.IntN(7))
			// The last paragraph runs past the target by half a
			// paragraph on average.
			target := opts.Words*4/5 + rng.IntN(opts.Words*2/5+1) - 35
			for words := 0; words < target; {
				p, w, err := m.paragraph(rng, 1+rng.IntN(4))
				if err != nil {
					return nil, err
				}
				a.Paragraphs = append(a.Paragraphs, p)
				words += w
			}
		}
		a.URL = fmt.Sprintf("https://%s/%s/%s-%d", outlet.host, published.Format("2006/01/02"), slug(a.Title), i+1)
		out = append(out, a)
	}
	return out, nil
}

// edit is what a syndicating outlet does to a copy: the last paragraph cut,
// or one line of its own added at the end.
func edit(rng *rand.Rand, paragraphs []string) []string {
	p := append([]string(nil), paragraphs...)
	if len(p) > 4 && rng.IntN(2) == 0 {
		return p[:len(p)-1]
	}
	return append(p, "This article first appeared with a partner outlet and is republished with permission.")
}

var errNoSentence = errors.New("newsgen: the model makes no sentences")

// sentence walks the model from a sentence start to a sentence end, and
// keeps a sentence of min to max words.
func (m *Model) sentence(rng *rand.Rand, minWords, maxWords int) (string, error) {
	for range 1000 {
		k := m.starts[rng.IntN(len(m.starts))]
		words := []string{k[0], k[1]}
		for len(words) < maxWords && !endsSentence(words[len(words)-1]) {
			next := m.next[k]
			if rng.Float64() < shortMemory {
				next = m.next1[k[1]]
			}
			if len(next) == 0 {
				break
			}
			w := next[rng.IntN(len(next))]
			words = append(words, w)
			k = pair{k[1], w}
		}
		if len(words) >= minWords && endsSentence(words[len(words)-1]) {
			return strings.Join(words, " "), nil
		}
	}
	return "", errNoSentence
}

func (m *Model) paragraph(rng *rand.Rand, sentences int) (string, int, error) {
	var parts []string
	words := 0
	for range sentences {
		s, err := m.sentence(rng, 8, 45)
		if err != nil {
			return "", 0, err
		}
		parts = append(parts, s)
		words += len(strings.Fields(s))
	}
	return strings.Join(parts, " "), words, nil
}

// headline is a run of words of a sentence, from its start or from a
// random word in it, capitalized, without closing punctuation.
func headline(rng *rand.Rand, s string, words int) string {
	f := strings.Fields(s)
	if len(f) > words {
		from := rng.IntN(len(f) - words + 1)
		f = f[from : from+words]
	}
	h := strings.TrimRight(strings.Join(f, " "), `.,;:!?"'’”`)
	r := []rune(h)
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	return string(r)
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 60 {
			break
		}
	}
	return strings.Trim(b.String(), "-")
}
