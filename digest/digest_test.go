package digest

import (
	"context"
	"errors"
	"strings"
	"testing"

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
