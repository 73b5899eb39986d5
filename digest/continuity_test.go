package digest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/storetest"
	"github.com/bulletin-app/bulletin/source"
	"github.com/bulletin-app/bulletin/store"
)

// storyEntries builds entries from documents as bulletin would: the
// summary, the names, and, for an article without one, a title made of the
// lede's first words, as a headline would read.
func storyEntries(t *testing.T, docs []Document) []store.Entry {
	t.Helper()
	sum := NewExtractive(ExtractiveOptions{})
	var out []store.Entry
	for _, d := range docs {
		s, err := sum.Summarize(t.Context(), d)
		if err != nil || len(s.Sentences) == 0 {
			continue
		}
		title := d.Title
		if title == "" {
			w := strings.Fields(d.Text)
			title = strings.Join(w[:min(len(w), 10)], " ")
		}
		// The names as SummarizeNew keeps them: the summarizer's.
		out = append(out, store.Entry{ID: int64(len(out) + 1), Title: title, Summary: s.Sentences,
			Names: s.Names, IssueNumber: len(out)/issueSize + 1})
	}
	return out
}

// issueSize is how many entries an issue of the simulations holds.
const issueSize = 10

// linksOverIssues sends entries out in issues of issueSize, in order, each
// issue's entries compared with all the entries issued before them, and
// returns the links made (entry → the earlier one).
func linksOverIssues(entries []store.Entry) map[int64]int64 {
	return linksOverIssuesWith(storyRule{names: continueNames, rare: true, similarity: continueSimilarity}, entries)
}

func linksOverIssuesWith(r storyRule, entries []store.Entry) map[int64]int64 {
	links := map[int64]int64{}
	for from := 0; from < len(entries); from += issueSize {
		issued := slices.Clone(entries[:from])
		slices.Reverse(issued) // newest first, as the store lists them
		for id, of := range r.continuations(issued, entries[from:min(len(entries), from+issueSize)]) {
			links[id] = of
		}
	}
	return links
}

// TestStoriesFalseLinksOnNews measures the false links on the evaluation
// articles, which are all different stories (from CNN/DailyMail and the
// BBC): at most 1 entry in 100 may be linked to another.
func TestStoriesFalseLinksOnNews(t *testing.T) {
	var news []Document
	for _, d := range evalDocuments(t) {
		if d.Title == "" { // the seeds have titles, the evaluation articles none
			news = append(news, d)
		}
	}
	entries := storyEntries(t, news)
	links := linksOverIssues(entries)
	byID := map[int64]store.Entry{}
	for _, e := range entries {
		byID[e.ID] = e
	}
	for id, of := range links {
		t.Logf("linked: %.60q → %.60q", byID[id].Title, byID[of].Title)
	}
	t.Logf("%d false links over %d entries (%.2f%%)", len(links), len(entries), 100*float64(len(links))/float64(len(entries)))
	if len(entries) < 300 {
		t.Fatalf("only %d entries: the evaluation data is incomplete", len(entries))
	}
	if len(links)*100 > len(entries) {
		t.Errorf("%d false links over %d entries: more than 1 in 100", len(links), len(entries))
	}
	// What each part of the rule is worth: the links made without it.
	for _, r := range []struct {
		what string
		rule storyRule
	}{
		{"one shared name, any, any subject", storyRule{names: 1}},
		{"two shared names, any, any subject", storyRule{names: 2}},
		{"two shared rare names, any subject", storyRule{names: 2, rare: true}},
		{"two shared names, any, the subject", storyRule{names: 2, similarity: continueSimilarity}},
	} {
		t.Logf("%s: %d entries linked", r.what, len(linksOverIssuesWith(r.rule, entries)))
	}
}

// TestStoriesLinkTheSeeds checks that the seed articles, one story told six
// years apart, connect: the later one continues the earlier one, alone and
// among the evaluation articles.
func TestStoriesLinkTheSeeds(t *testing.T) {
	var seeds, news []Document
	for _, d := range evalDocuments(t) {
		if d.Title != "" {
			seeds = append(seeds, d)
		} else {
			news = append(news, d)
		}
	}
	if len(seeds) != 2 {
		t.Fatalf("%d seed articles, want 2", len(seeds))
	}
	pair := storyEntries(t, seeds)
	ti := newTermIndex()
	t.Logf("names: %q and %q; subject cosine %.3f", pair[0].Names, pair[1].Names, subjectCosine(subjectOf(pair[0], ti), subjectOf(pair[1], ti)))
	if got := continuationsOf(pair[:1], pair[1:]); got[pair[1].ID] != pair[0].ID {
		t.Errorf("alone: the 2022 seed is not linked to the 2016 one (%v)", got)
	}
	// Among the news: the 2016 seed issued with the others, the 2022 one
	// in the next issue.
	all := storyEntries(t, append(news, seeds[0]))
	later := pair[1]
	later.ID = int64(len(all) + 1)
	issued := slices.Clone(all)
	slices.Reverse(issued)
	got := continuationsOf(issued, []store.Entry{later})
	if got[later.ID] != all[len(all)-1].ID {
		t.Errorf("among %d entries: the 2022 seed is linked to %d, want %d", len(all), got[later.ID], all[len(all)-1].ID)
	}
}

func TestStoryNames(t *testing.T) {
	text := "President-elect Donald Trump met Kanye West at Trump Tower on Tuesday. " +
		"West said they talked about Chicago. The NHS was not discussed, Mr Trump said. " +
		"Later, West left. Manchester United were not mentioned."
	got := StoryNames("", text)
	want := []string{"donald trump", "kanye west"} // as many mentions each: the first met first
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("StoryNames = %q, want %q", got, want)
	}
}

func TestContinuationsNeedNamesAndSubject(t *testing.T) {
	earlier := store.Entry{ID: 1, Title: "Mayor opens the harbour tram line after four years of works",
		Summary: []string{
			"Mayor Ada Lovell opened the tram line between the harbour and the central station on Saturday, four years after the works began.",
			"The line cost 310 million euros, a third more than planned, and carries its first passengers from Monday.",
			"Chief engineer Tom Brand said the trams would run every six minutes at peak hours.",
		},
		Names: []string{"ada lovell", "tom brand"}}
	cases := []struct {
		name string
		e    store.Entry
		want bool
	}{
		{"same people, same subject", store.Entry{ID: 2, Title: "Harbour tram line shut for repairs months after opening",
			Summary: []string{
				"The harbour tram line will close for six weeks from May while cracked rails are replaced, Mayor Ada Lovell announced.",
				"Buses will replace the trams between the harbour and the station.",
				"Tom Brand, the engineer in charge, blamed a faulty batch of steel and said the supplier would pay for the repairs.",
			},
			Names: []string{"ada lovell", "tom brand"}}, true},
		{"same people, other subject", store.Entry{ID: 3, Title: "Lovell and Brand finish the marathon together",
			Summary: []string{
				"Ada Lovell and Tom Brand crossed the finish of the autumn marathon side by side, smiling for photographers.",
				"The pair raised money for the children's hospital, where Lovell's daughter was treated.",
				"About 9,000 runners took part in warm autumn sunshine.",
			},
			Names: []string{"ada lovell", "tom brand"}}, false},
		{"one shared name", store.Entry{ID: 4, Title: "Harbour tram line shut for repairs months after opening",
			Summary: []string{
				"The harbour tram line will close for six weeks from May while cracked rails are replaced, Mayor Ada Lovell announced.",
				"Buses will replace the trams between the harbour and the station.",
			},
			Names: []string{"ada lovell"}}, false},
		{"a copy is a duplicate, not a continuation", store.Entry{ID: 5, Title: earlier.Title, Summary: earlier.Summary,
			Names: earlier.Names}, false},
	}
	ti := newTermIndex()
	for _, c := range cases {
		got := continuationsOf([]store.Entry{earlier}, []store.Entry{c.e})
		if _, ok := got[c.e.ID]; ok != c.want {
			t.Errorf("%s: linked %v, want %v (subject cosine %.2f)", c.name, ok, c.want, subjectCosine(subjectOf(earlier, ti), subjectOf(c.e, ti)))
		}
	}
}

// TestByImportance orders an issue of entries from several sources: the
// story three outlets reported comes first, then the one that continues an
// earlier story and the one two outlets reported, then the rest newest
// first.
func TestByImportance(t *testing.T) {
	entries := []store.Entry{ // newest first
		{ID: 1, Title: "newest, one source", Source: "Daily A"},
		{ID: 2, Title: "continues a story", Source: "Daily A", Earlier: &store.Earlier{ID: 90, IssueNumber: 3}},
		{ID: 3, Title: "three sources", Source: "Daily A"},
		{ID: 4, Title: "two sources", Source: "Daily B"},
		{ID: 5, Title: "oldest, one source", Source: "Daily C"},
		{ID: 6, Title: "copies from one outlet", Source: "Daily C"},
	}
	sources := map[int64][]string{
		3: {"Daily B", "Weekly C"},
		4: {"Daily A"},
		6: {"daily c", "Daily C "}, // the same outlet twice counts once
	}
	var got []int64
	for _, e := range byImportance(entries, sources) {
		got = append(got, e.ID)
	}
	want := []int64{3, 2, 4, 1, 5, 6}
	if !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

const libraryStory = `The city library will open until midnight on weekdays from next month, after a trial last winter drew more than 40,000 late visitors, the council said on Tuesday.

Students asked for the longer hours, and the extra staff will be paid from the culture budget.`

// TestBuildIssueOrdersByImportance builds an issue from articles of four
// sources: the tram story three outlets reported leads, then the bakery
// story two reported, then the library story, the newest, that one did;
// an editor's choice of lead goes before them all.
func TestBuildIssueOrdersByImportance(t *testing.T) {
	ctx := t.Context()
	st := storetest.Open(t)
	day := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	art := func(key, src, title, text string, hours int) source.Article {
		return source.Article{Key: key, URL: key, Source: src, Title: title, Text: text, Published: day.Add(time.Duration(hours) * time.Hour)}
	}
	collect(t, st,
		art("https://a.example/tram", "Daily A", "New tram line opens two months early", tramStory, 0),
		art("https://b.example/bakery", "Daily B", "Family bakery wins bread award", bakeryStory, 1),
		art("https://c.example/library", "Weekly C", "Library opens until midnight", libraryStory, 3),
	)
	collect(t, st,
		art("https://b.example/tram", "Daily B", "New tram line opens two months early", tramStory, 2),
		art("https://d.example/tram", "Radio D", "New tram line opens two months early", tramStory, 2),
		art("https://a.example/bakery", "Daily A", "Family bakery wins bread award", bakeryStory, 2),
	)
	is, err := BuildIssue(ctx, st, IssueOptions{Draft: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range is.Entries {
		got = append(got, e.URL)
	}
	want := []string{"https://a.example/tram", "https://b.example/bakery", "https://c.example/library"}
	if !slices.Equal(got, want) {
		t.Fatalf("issue order %q, want %q", got, want)
	}
	if err := st.SetLead(ctx, is.Number, is.Entries[2].ID, "editor"); err != nil {
		t.Fatal(err)
	}
	led, err := st.Issue(ctx, is.Number)
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, e := range led.Entries {
		got = append(got, e.URL)
	}
	want = []string{"https://c.example/library", "https://a.example/tram", "https://b.example/bakery"}
	if !slices.Equal(got, want) {
		t.Errorf("after the editor's lead: %q, want %q", got, want)
	}
}
