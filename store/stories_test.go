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
