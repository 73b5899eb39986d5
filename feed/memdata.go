package feed

import (
	"context"
	"slices"

	"github.com/bulletin-app/bulletin/store"
)

// memData is Data over issues held in memory, for Build.
type memData struct {
	issues  []store.Issue // by number, oldest first
	entries []store.Entry // by feed place, oldest first
	totals  store.FeedTotals
}

// newMemData takes issues newest first, each with its entries newest
// first, and gives the entries without a feed place one in that order.
func newMemData(issues []store.Issue) *memData {
	m := &memData{issues: slices.Clone(issues)}
	slices.SortStableFunc(m.issues, func(a, b store.Issue) int { return a.Number - b.Number })
	next := 1
	for i := range m.issues {
		is := &m.issues[i]
		is.Entries = slices.Clone(is.Entries)
		for j := len(is.Entries) - 1; j >= 0; j-- {
			e := &is.Entries[j]
			e.IssueNumber = is.Number
			if e.FeedSeq == 0 {
				e.FeedSeq = next
			}
			next = e.FeedSeq + 1
			m.entries = append(m.entries, *e)
			m.totals.Entries = max(m.totals.Entries, e.FeedSeq)
		}
		m.totals.Issues = max(m.totals.Issues, is.Number)
		if u := issueUpdated(*is); u.After(m.totals.Updated) {
			m.totals.Updated = u
		}
	}
	slices.SortStableFunc(m.entries, func(a, b store.Entry) int { return a.FeedSeq - b.FeedSeq })
	return m
}

func (m *memData) FeedTotals(context.Context) (store.FeedTotals, error) { return m.totals, nil }

func (m *memData) FeedEntries(_ context.Context, from, to int) ([]store.Entry, error) {
	var out []store.Entry
	for i := len(m.entries) - 1; i >= 0; i-- {
		if e := m.entries[i]; e.FeedSeq > from && e.FeedSeq <= to {
			out = append(out, e)
		}
	}
	return out, nil
}

func (m *memData) IssuesBetween(_ context.Context, from, to int) ([]store.Issue, error) {
	var out []store.Issue
	for i := len(m.issues) - 1; i >= 0; i-- {
		if is := m.issues[i]; is.Number > from && is.Number <= to {
			out = append(out, is)
		}
	}
	return out, nil
}

func (m *memData) IssueInfos(_ context.Context, from, to int) ([]store.IssueInfo, error) {
	var out []store.IssueInfo
	for i := len(m.issues) - 1; i >= 0; i-- {
		is := m.issues[i]
		if is.Number <= from || is.Number > to {
			continue
		}
		count := 0
		seen := map[string]bool{}
		for _, e := range is.Entries {
			if checkEntry(e) == nil && !seen[e.ArticleKey] {
				seen[e.ArticleKey] = true
				count++
			}
		}
		out = append(out, store.IssueInfo{Number: is.Number, Title: is.Title, CreatedAt: is.CreatedAt, Entries: count})
	}
	return out, nil
}

func (m *memData) IssueLeads(_ context.Context, from, to, n int) ([]store.Entry, error) {
	var out []store.Entry
	for i := len(m.issues) - 1; i >= 0; i-- {
		if is := m.issues[i]; is.Number > from && is.Number <= to {
			out = append(out, is.Entries[:min(n, len(is.Entries))]...)
		}
	}
	return out, nil
}

func (m *memData) StoryEntries(_ context.Context, story int64, limit int) ([]store.Entry, error) {
	var out []store.Entry
	for i := len(m.entries) - 1; i >= 0; i-- {
		if e := m.entries[i]; e.StoryID == story && (limit <= 0 || len(out) < limit) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (m *memData) StoriesBetween(_ context.Context, from, to int) ([]int64, error) {
	count := map[int64]int{}
	for _, e := range m.entries {
		if e.StoryID != 0 {
			count[e.StoryID]++
		}
	}
	var out []int64
	for _, e := range m.entries {
		if e.FeedSeq > from && e.FeedSeq <= to && count[e.StoryID] >= 2 && !slices.Contains(out, e.StoryID) {
			out = append(out, e.StoryID)
		}
	}
	slices.Sort(out)
	return out, nil
}
