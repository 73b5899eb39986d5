package digest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/storetest"

	"github.com/bulletin-app/bulletin/source"
	"github.com/bulletin-app/bulletin/store"
)

const tramStory = `The new tram line linking the main station with the university campus opened on Wednesday, two months ahead of schedule and within its budget of 92 million euros, the transport authority said.

Trams will run every seven minutes during the day and every fifteen minutes in the evening. The journey from the station to the campus takes 14 minutes, compared with about 25 minutes by bus.

The authority expects 18,000 passengers a day on the line within its first year. Three bus routes that duplicated the tram will be shortened from December.`

const bakeryStory = `A family bakery in the old town has won the national bread award for its dark rye sourdough, beating more than 600 entries from across the country.

The bakery, run by the Lindqvist family for three generations, bakes the loaf with a starter that has been kept alive since 1962.

Owner Sofia Lindqvist said demand had tripled since the announcement on Thursday.`

func collect(t *testing.T, st *store.Store, arts ...source.Article) {
	t.Helper()
	ctx := context.Background()
	for _, a := range arts {
		if _, err := st.SaveArticle(ctx, a, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, problems, err := SummarizeNew(ctx, st, NewExtractive(ExtractiveOptions{}), nil); err != nil || len(problems) > 0 {
		t.Fatalf("SummarizeNew: %v %v", err, problems)
	}
}

func TestBuildIssueMergesCopiesOfOneStory(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	collect(t, st,
		source.Article{Key: "https://a.example.org/tram", URL: "https://a.example.org/tram", Source: "A", Title: "New tram line opens two months early", Text: tramStory},
		source.Article{Key: "https://b.example.org/bakery", URL: "https://b.example.org/bakery", Source: "B", Title: "Family bakery wins bread award", Text: bakeryStory},
	)
	// The same story syndicated elsewhere, lightly edited.
	collect(t, st, source.Article{Key: "https://c.example.net/tram-copy", URL: "https://c.example.net/tram-copy", Source: "C",
		Title: "Tram line to the university opens early", Text: strings.Replace(tramStory, "on Wednesday", "this Wednesday", 1)})

	is, err := BuildIssue(ctx, st, IssueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(is.Entries) != 2 {
		t.Fatalf("issue has %d entries, want 2 (the copy merged)", len(is.Entries))
	}
	var tram store.Entry
	for _, e := range is.Entries {
		if e.Source == "A" {
			tram = e
		}
	}
	if len(tram.Also) != 1 || tram.Also[0].URL != "https://c.example.net/tram-copy" {
		t.Errorf("the first report keeps the copy as another report: Also = %+v", tram.Also)
	}
}

func TestBuildIssueDoesNotRetellAnIssuedStory(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	collect(t, st, source.Article{Key: "sha256:v1", Source: "local", Title: "New tram line opens two months early", Text: tramStory})
	if _, err := BuildIssue(ctx, st, IssueOptions{}); err != nil {
		t.Fatal(err)
	}
	// The file is edited: with no URL its key is its content, so it comes
	// back as a new article. It is the story issue 1 told.
	collect(t, st, source.Article{Key: "sha256:v2", Source: "local", Title: "New tram line opens two months early",
		Text: strings.Replace(tramStory, "92 million", "92.5 million", 1)})
	if _, err := BuildIssue(ctx, st, IssueOptions{}); !errors.Is(err, ErrNothingNew) {
		t.Errorf("an edited copy of an issued story: err = %v, want ErrNothingNew", err)
	}
	// A different story still makes an issue.
	collect(t, st, source.Article{Key: "sha256:bakery", Source: "local", Title: "Family bakery wins bread award", Text: bakeryStory})
	is, err := BuildIssue(ctx, st, IssueOptions{})
	if err != nil || len(is.Entries) != 1 || is.Entries[0].Title != "Family bakery wins bread award" {
		t.Errorf("issue 2 = %+v, %v", is.Entries, err)
	}
}

// fiveStories stores five unrelated articles, published a day apart, the
// oldest first, and returns their titles in that order.
func fiveStories(t *testing.T, st *store.Store) []string {
	t.Helper()
	stories := []struct{ title, text string }{
		{"Harbour dredging starts", "Dredgers began deepening the harbour channel on Monday. Container ships waited offshore for the tide. The port authority expects the work to take six weeks."},
		{"Violin workshop reopens", "A violin maker reopened her workshop after a fire destroyed the old one. She carves spruce tops by hand. Orders from orchestras have already filled next year."},
		{"Glacier survey finds retreat", "Scientists measured the glacier with drones and found it shrank forty metres. Meltwater lakes grew beneath the ice. The survey will be repeated every autumn."},
		{"Chess tournament draws record field", "More than three hundred players entered the city chess tournament. A twelve-year-old beat two grandmasters. Organisers added extra boards in the library hall."},
		{"Frost damages orchards", "A late frost hit apple orchards in the valley overnight. Growers lit fires between the rows to save the blossom. Insurers are sending assessors this week."},
	}
	var titles []string
	for i, story := range stories {
		title, text := story.title, story.text
		collect(t, st, source.Article{Key: fmt.Sprintf("https://example.org/%d", i), URL: fmt.Sprintf("https://example.org/%d", i),
			Title: title, Text: text, Published: time.Date(2026, 5, 1+i, 9, 0, 0, 0, time.UTC)})
		titles = append(titles, title)
	}
	return titles
}

func issueTitles(is store.Issue) []string {
	var out []string
	for _, e := range is.Entries {
		out = append(out, e.Title)
	}
	slices.Sort(out)
	return out
}

func TestMaxEntriesWaitTellsTheOldestFirst(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	titles := fiveStories(t, st)
	opts := IssueOptions{MaxEntries: 2, Overflow: OverflowWait}
	var got [][]string
	for {
		b, err := BuildIssue(ctx, st, opts)
		if errors.Is(err, ErrNothingNew) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if want := 5 - 2*len(got) - len(b.Entries); b.Waiting != want {
			t.Errorf("issue %d: %d waiting, want %d", b.Number, b.Waiting, want)
		}
		got = append(got, issueTitles(b.Issue))
	}
	sorted := func(s []string) []string { return slices.Sorted(slices.Values(s)) }
	want := [][]string{sorted(titles[0:2]), sorted(titles[2:4]), titles[4:5]}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("issues %v, want %v", got, want)
	}
}

func TestMaxEntriesDropKeepsTheNewest(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	titles := fiveStories(t, st)
	b, err := BuildIssue(ctx, st, IssueOptions{MaxEntries: 2, Overflow: OverflowDrop})
	if err != nil {
		t.Fatal(err)
	}
	if got := issueTitles(b.Issue); fmt.Sprint(got) != fmt.Sprint(slices.Sorted(slices.Values(titles[3:5]))) || b.Dropped != 3 || b.Waiting != 0 {
		t.Errorf("issue %v, dropped %d, waiting %d; want %v, 3, 0", got, b.Dropped, b.Waiting, titles[3:5])
	}
	if _, err := BuildIssue(ctx, st, IssueOptions{MaxEntries: 2, Overflow: OverflowDrop}); !errors.Is(err, ErrNothingNew) {
		t.Errorf("the dropped entries came back: %v", err)
	}
	// A dropped article that changes is not summarized again.
	if arts, err := st.ArticlesToSummarize(ctx); err != nil || len(arts) != 0 {
		t.Errorf("to summarize: %d, %v", len(arts), err)
	}
}

func TestMaxAgeLeavesOldEntriesOut(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	titles := fiveStories(t, st)
	now := func() time.Time { return time.Date(2026, 5, 6, 8, 0, 0, 0, time.UTC) }
	b, err := BuildIssue(ctx, st, IssueOptions{MaxAge: 48 * time.Hour, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	// Published at 9:00 on 4 and 5 May: within two days of 6 May, 8:00.
	if got := issueTitles(b.Issue); fmt.Sprint(got) != fmt.Sprint(slices.Sorted(slices.Values(titles[3:5]))) || b.Dropped != 3 {
		t.Errorf("issue %v, dropped %d; want %v, 3", got, b.Dropped, titles[3:5])
	}
}
