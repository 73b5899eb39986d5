package digest

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestExtractiveNoisyArticle(t *testing.T) {
	doc := readFixture(t, "noisy_article.txt")
	sum, err := NewExtractive(ExtractiveOptions{}).Summarize(context.Background(), doc)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Method != "extractive" {
		t.Errorf("Method = %q", sum.Method)
	}
	if n := len(sum.Sentences); n < 2 || n > 3 {
		t.Fatalf("%d sentences, want 2 or 3: %q", n, sum.Sentences)
	}
	if !strings.HasPrefix(sum.Sentences[0], "Residents of Port Alder voted") {
		t.Errorf("summary should open with the lead, got %q", sum.Sentences[0])
	}
	words := wordCount(strings.Join(sum.Sentences, " "))
	if words > defaultWords*3/2 {
		t.Errorf("summary has %d words, budget %d (+50%%)", words, defaultWords)
	}
	if sum.Teaser == "" || wordCount(sum.Teaser) > teaserWords {
		t.Errorf("teaser = %q", sum.Teaser)
	}
	if !strings.Contains(sum.Teaser, "pier") {
		t.Errorf("teaser should be about the pier (the title): %q", sum.Teaser)
	}
}

func TestExtractiveUsesHighlights(t *testing.T) {
	doc := Document{
		Title: "Bridge approved",
		Text: "• Council approved the bridge on Monday after two years of debate\n" +
			"• Work starts in May and takes three years\n" +
			"• The bridge will carry a tram line\n\n" +
			"The city council approved plans for a new bridge over the river on Monday, ending a two-year debate.\n\n" +
			"Construction is expected to begin in May and to take three years, officials said.",
	}
	sum, _ := NewExtractive(ExtractiveOptions{}).Summarize(context.Background(), doc)
	want := []string{
		"Council approved the bridge on Monday after two years of debate.",
		"Work starts in May and takes three years.",
		"The bridge will carry a tram line.",
	}
	if strings.Join(sum.Sentences, "|") != strings.Join(want, "|") {
		t.Errorf("summary = %q, want the publisher's highlights %q", sum.Sentences, want)
	}
	if !strings.HasPrefix(sum.Teaser, "The city council approved") {
		t.Errorf("teaser = %q, want a sentence of the story", sum.Teaser)
	}
}

func TestExtractiveBudget(t *testing.T) {
	doc := readFixture(t, "noisy_article.txt")
	for _, words := range []int{15, 30, 200} {
		sum, _ := NewExtractive(ExtractiveOptions{Words: words, MaxSentences: 2}).Summarize(context.Background(), doc)
		if len(sum.Sentences) == 0 || len(sum.Sentences) > 2 {
			t.Errorf("words %d: %d sentences", words, len(sum.Sentences))
		}
		// A sentence is added only while the summary is under budget.
		if n := wordCount(strings.Join(sum.Sentences[:len(sum.Sentences)-1], " ")); n >= words {
			t.Errorf("words %d: a sentence was added after the budget was spent (%d words before it)", words, n)
		}
	}
}

func TestExtractiveEdgeCases(t *testing.T) {
	long := strings.Repeat("The committee met again on Monday to discuss the budget for next year. ", 3000)
	cases := map[string]Document{
		"empty":         {},
		"title only":    {Title: "Nothing here"},
		"one sentence":  {Text: "The council approved the new bridge on Monday."},
		"no full stop":  {Text: "the council approved the new bridge on monday"},
		"huge":          {Title: "Budget", Text: long},
		"non-ASCII":     {Title: "Été", Text: "Le conseil a approuvé le pont lundi. Les travaux commenceront en mai à Genève. 東京でも同じ議論があった。"},
		"invalid UTF-8": {Text: "The council \xff\xfe approved it. Work starts \xc3 soon in May."},
	}
	e := NewExtractive(ExtractiveOptions{})
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			sum, err := e.Summarize(context.Background(), doc)
			if err != nil {
				t.Fatal(err)
			}
			if name == "one sentence" && (len(sum.Sentences) != 1 || sum.Teaser != sum.Sentences[0]) {
				t.Errorf("summary = %+v", sum)
			}
			if name == "huge" && wordCount(strings.Join(sum.Sentences, " ")) > defaultWords*3/2 {
				t.Errorf("summary of a huge article is too long: %q", sum.Sentences)
			}
		})
	}
}

func TestExtractiveCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewExtractive(ExtractiveOptions{}).Summarize(ctx, Document{Text: "A sentence that is long enough here."}); err == nil {
		t.Fatal("no error for a canceled context")
	}
}

// FuzzSummarize checks that no input makes the summarizer panic, fail, break
// its sentence limit or emit invalid UTF-8 from valid input. It runs on its
// seeds as part of go test; go test -fuzz=FuzzSummarize ./digest explores
// further.
func FuzzSummarize(f *testing.F) {
	doc := readFixture(f, "noisy_article.txt")
	f.Add(doc.Title, doc.Text)
	f.Add("", "")
	f.Add("T", "One. Two. Three.")
	f.Add("", "• a\n• b\n")
	f.Add("x", "Mr. U.S. No. 2 Jan. 3.5 J. K. 'Quote.' \"Q?\" he said.Then")
	f.Add("", "Label: Caption He said: 'x' The end")
	f.Add("Été", "Ça coûte 5 €. 東京。 \xff\xfe.")
	e := NewExtractive(ExtractiveOptions{})
	f.Fuzz(func(t *testing.T, title, text string) {
		sum, err := e.Summarize(context.Background(), Document{Title: title, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		if len(sum.Sentences) > defaultSentences {
			t.Fatalf("%d sentences", len(sum.Sentences))
		}
		for _, s := range append(sum.Sentences, sum.Teaser) {
			if s != "" && utf8.ValidString(text) && !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in output %q", s)
			}
		}
	})
}

func TestExtractiveNeverOpensWithADanglingSentence(t *testing.T) {
	cases := []struct{ name, text, first string }{
		{"pronoun after the lede",
			"The council approved the new bridge over the river on Monday after two years of debate. " +
				"He said the vote was the most important of his time as mayor of the town. " +
				"Construction of the bridge is expected to begin in May and to take three years. " +
				"The bridge will carry cars, bicycles and a new tram line across the river.",
			"The council approved the new bridge over the river on Monday after two years of debate."},
		{"article that opens with a pronoun",
			"They are the strangest concrete arrows in the country, and nobody knew what they meant. " +
				"The arrows were built in the 1920s to guide the first airmail pilots across the desert. " +
				"Each one lay at the foot of a beacon that pilots could see from fifty miles away.",
			"They are the strangest concrete arrows in the country, and nobody knew what they meant."},
		{"pronoun after a cut caption",
			"The former champion was pictured at a charity gala in Miami last month wearing a suit " +
				"He was once the best-paid boxer in the world, with a fortune of $15million. " +
				"Now Riddick Moss, of Maryland, offers to post messages on social media for $20 each. " +
				"The boxer retired in 2008 after a career that lasted almost twenty years.",
			"Now Riddick Moss, of Maryland, offers to post messages on social media for $20 each."},
	}
	e := NewExtractive(ExtractiveOptions{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sum, err := e.Summarize(context.Background(), Document{Text: tc.text})
			if err != nil || len(sum.Sentences) == 0 {
				t.Fatalf("summary %q, %v", sum.Sentences, err)
			}
			if sum.Sentences[0] != tc.first {
				t.Errorf("summary opens with %q, want %q", sum.Sentences[0], tc.first)
			}
			for i, s := range sum.Sentences[1:] {
				if opensReference(s) && !strings.Contains(tc.text, sum.Sentences[i]+" "+s) {
					t.Errorf("%q follows %q, not the sentence it refers back to", s, sum.Sentences[i])
				}
			}
		})
	}
}
