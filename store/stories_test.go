package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/source"
)

// TestStoriesAcrossIssues links an entry of a second issue to one of the
// first, and reads the story back as pages and feeds do.
func TestStoriesAcrossIssues(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		add := func(key, src string) Entry {
			t.Helper()
			if _, err := st.SaveArticle(ctx, source.Article{Key: key, Title: "Title " + key, Text: "text " + key, Source: src}, false); err != nil {
				t.Fatal(err)
			}
			todo, err := st.ArticlesToSummarize(ctx)
			if err != nil || len(todo) != 1 {
				t.Fatalf("to summarize: %d, %v", len(todo), err)
			}
			if err := st.SaveEntry(ctx, Entry{ArticleID: todo[0].ID, ContentHash: todo[0].ContentHash,
				Summary: []string{"Summary of " + key + "."}, Method: "extractive", Names: []string{"ada lovell", "tom brand"}}); err != nil {
				t.Fatal(err)
			}
			un, err := st.UnissuedEntries(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range un {
				if e.ArticleKey == key {
					return e
				}
			}
			t.Fatalf("no entry for %s", key)
			return Entry{}
		}
		first := add("first", "Daily A")
		if !slices.Equal(first.Names, []string{"ada lovell", "tom brand"}) {
			t.Errorf("names round trip: %q", first.Names)
		}
		other := add("other", "Daily B")
		if _, err := st.CreateIssue(ctx, func(int) string { return "One" }, []int64{first.ID, other.ID}); err != nil {
			t.Fatal(err)
		}
		totals, _ := st.FeedTotals(ctx)
		since := time.Now().Add(-time.Second)

		later := add("later", "Daily A")
		copyOf := add("copy", "Weekly C")
		if err := st.MarkDuplicate(ctx, copyOf.ID, later.ID); err != nil {
			t.Fatal(err)
		}
		src, err := st.UnissuedSources(ctx)
		if err != nil || !slices.Equal(src[later.ID], []string{"Weekly C"}) {
			t.Errorf("UnissuedSources = %v, %v; want Weekly C for entry %d", src, err, later.ID)
		}
		if err := st.LinkEarlier(ctx, later.ID, first.ID); err != nil {
			t.Fatal(err)
		}
		// Not a story page yet: one published entry.
		if ids, err := st.StoriesBetween(ctx, 0, 10); err != nil || len(ids) != 0 {
			t.Errorf("StoriesBetween before the second issue = %v, %v; want none", ids, err)
		}
		third := add("third", "Daily B")
		// In the order given: the later entry first.
		is, err := st.CreateIssue(ctx, func(int) string { return "Two" }, []int64{later.ID, third.ID})
		if err != nil {
			t.Fatal(err)
		}
		if is.Entries[0].ID != later.ID || is.Entries[1].ID != third.ID {
			t.Errorf("issue 2 order: %d, %d; want %d, %d", is.Entries[0].ID, is.Entries[1].ID, later.ID, third.ID)
		}
		got := is.Entries[0]
		if got.Earlier == nil || got.Earlier.ID != first.ID || got.Earlier.IssueNumber != 1 || got.Earlier.Title != "Title first" ||
			got.Earlier.ArticleKey != "first" || !slices.Equal(got.Earlier.Summary, []string{"Summary of first."}) {
			t.Errorf("Earlier = %+v; want entry %d of issue 1", got.Earlier, first.ID)
		}
		if got.StoryID != first.ID || is.Entries[1].StoryID != 0 || is.Entries[1].Earlier != nil {
			t.Errorf("stories: %d and %d; want %d and 0", got.StoryID, is.Entries[1].StoryID, first.ID)
		}
		story, err := st.StoryEntries(ctx, first.ID, 0)
		if err != nil || len(story) != 2 || story[0].ID != later.ID || story[1].ID != first.ID {
			t.Fatalf("StoryEntries = %d entries, %v; want the later then the first", len(story), err)
		}
		if len(story[0].Also) != 1 || story[0].Also[0].Source != "Weekly C" {
			t.Errorf("story entry's other reports: %+v", story[0].Also)
		}
		if one, _ := st.StoryEntries(ctx, first.ID, 1); len(one) != 1 || one[0].ID != later.ID {
			t.Errorf("StoryEntries limit 1: %d entries", len(one))
		}
		t2, _ := st.FeedTotals(ctx)
		if ids, err := st.StoriesBetween(ctx, totals.Entries, t2.Entries); err != nil || !slices.Equal(ids, []int64{first.ID}) {
			t.Errorf("StoriesBetween the new places = %v, %v; want [%d]", ids, err, first.ID)
		}
		if ids, _ := st.StoriesBetween(ctx, 0, totals.Entries); !slices.Equal(ids, []int64{first.ID}) {
			t.Errorf("StoriesBetween the first issue's places = %v; want [%d]", ids, first.ID)
		}
		// A new report of the later entry is a change of its story.
		if err := st.SaveEntry(ctx, Entry{ArticleID: later.ArticleID, ContentHash: "changed", Summary: []string{"New summary."}, Method: "extractive"}); err != nil {
			t.Fatal(err)
		}
		changes, err := st.FeedChanges(ctx, since)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range changes {
			if c.Issue == 2 && c.Story == first.ID {
				found = true
			}
		}
		if !found {
			t.Errorf("FeedChanges = %+v; want issue 2's entry in story %d", changes, first.ID)
		}
		// A published entry is linked no more.
		if err := st.LinkEarlier(ctx, third.ID, first.ID); err != nil {
			t.Fatal(err)
		}
		if is, _ := st.Issue(ctx, 2); is.Entries[1].Earlier != nil {
			t.Errorf("a published entry was linked")
		}
	})
}

// TestIssuedBriefs: the briefs a publish compares new entries with are the
// issued entries newest first (by publication time, else collection), with
// the fields the comparison reads as the whole entries have them, the
// editor's title and summary included, and no unissued entry.
func TestIssuedBriefs(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		base := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
		// Published times out of the order of ids; "c" has none, and is
		// ordered by when it was collected (now).
		var ids []int64
		for i, k := range []string{"b", "a", "d", "c", "e"} {
			pub := base.Add(time.Duration([]int{2, 1, 4, 0, 3}[i]) * time.Hour)
			if k == "c" {
				pub = time.Time{}
			}
			if _, err := st.SaveArticle(ctx, source.Article{Key: k, Title: "Title " + k, Text: "text " + k, Published: pub}, false); err != nil {
				t.Fatal(err)
			}
			todo, err := st.ArticlesToSummarize(ctx)
			if err != nil || len(todo) != 1 {
				t.Fatalf("to summarize: %d, %v", len(todo), err)
			}
			if err := st.SaveEntry(ctx, Entry{ArticleID: todo[0].ID, ContentHash: todo[0].ContentHash,
				Summary: []string{"First of " + k + ".", "Second."}, Method: "extractive", Names: []string{"name " + k}}); err != nil {
				t.Fatal(err)
			}
			un, err := st.UnissuedEntries(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range un {
				if e.ArticleKey == k {
					ids = append(ids, e.ID)
				}
			}
		}
		// All but "e" go into draft 1, and "a" is edited there.
		is, err := st.CreateDraft(ctx, func(int) string { return "One" }, ids[:4])
		if err != nil {
			t.Fatal(err)
		}
		title := "An editor's title"
		if err := st.EditEntry(ctx, is.Number, ids[1], &title, []string{"An editor's sentence."}, "t"); err != nil {
			t.Fatal(err)
		}
		full, err := st.Issue(ctx, is.Number)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[int64]Entry{}
		for _, e := range full.Entries {
			byID[e.ID] = e
		}
		briefs, err := st.IssuedBriefs(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, b := range briefs {
			order = append(order, b.ArticleKey)
			e := byID[b.ID]
			if b.ArticleKey != e.ArticleKey || b.Title != e.Title || b.ArticleTitle != e.ArticleTitle ||
				!slices.Equal(b.Summary, e.Summary) || !slices.Equal(b.MachineSummary, e.MachineSummary) ||
				!slices.Equal(b.Names, e.Names) || b.IssueNumber != e.IssueNumber ||
				b.TitleEdited != e.TitleEdited || b.SummaryEdited != e.SummaryEdited {
				t.Errorf("brief %+v\nof entry %+v", b, e)
			}
		}
		if want := []string{"c", "d", "b", "a"}; !slices.Equal(order, want) {
			t.Errorf("briefs in the order %v, want %v", order, want)
		}
		if edited := byID[ids[1]]; edited.Title != title || !edited.SummaryEdited {
			t.Errorf("the edit did not take: %+v", edited)
		}
		if two, err := st.IssuedBriefs(ctx, 2); err != nil || len(two) != 2 || two[1].ArticleKey != "d" {
			t.Errorf("the newest two: %+v, %v", two, err)
		}
	})
}
