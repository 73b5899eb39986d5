// Package digest turns stored articles into digest entries (summaries) and
// groups the entries not yet sent into numbered issues.
package digest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"time"

	"github.com/bulletin-app/bulletin/internal/shutdown"
	"github.com/bulletin-app/bulletin/store"
)

// Problem is an article that could not be summarized; the others go on.
type Problem struct {
	ArticleID int64
	Title     string
	Err       error
}

// SummarizeNew writes an entry for every article that has none or whose
// content changed since its entry was written. progress, if not nil, is
// called after each article.
func SummarizeNew(ctx context.Context, st *store.Store, sum Summarizer, progress func(done, total int)) (int, []Problem, error) {
	articles, err := st.ArticlesToSummarize(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("summarize: %w", err)
	}
	var problems []Problem
	done := 0
	// A summarizer that says what is new is given the earlier entry of
	// each article's story, found among the issued entries as LinkStories
	// finds it.
	var issued []store.Entry
	aware, ok := sum.(storyAware)
	withEarlier := ok && aware.UsesEarlier()
	if withEarlier && len(articles) > 0 {
		if issued, err = st.IssuedBriefs(ctx, storyWindow); err != nil {
			return 0, nil, fmt.Errorf("summarize: %w", err)
		}
	}
	for i, a := range articles {
		if shutdown.Requested(ctx) {
			return done, problems, fmt.Errorf("summarize: %w", shutdown.ErrStopped)
		}
		doc := Document{Title: a.Title, Text: a.Text}
		s, err := sum.Summarize(ctx, doc)
		if err == nil && len(s.Sentences) == 0 {
			err = errors.New("no summary: the article has no readable text")
		}
		names := s.Names
		if err == nil && names == nil {
			names = StoryNames(a.Title, a.Text)
		}
		if err == nil && len(issued) > 0 {
			e := store.Entry{Title: a.Title, Summary: s.Sentences, Names: names}
			if of, ok := continuationsOf(issued, []store.Entry{e})[0]; ok {
				for _, p := range issued {
					if p.ID == of {
						doc.Earlier = &EarlierStory{Title: p.Title, Summary: p.Summary, Issue: p.IssueNumber}
					}
				}
				if again, err := sum.Summarize(ctx, doc); err == nil && len(again.Sentences) > 0 {
					s = again
				}
			}
		}
		if err != nil {
			problems = append(problems, Problem{ArticleID: a.ID, Title: a.Title, Err: err})
		} else {
			e := store.Entry{ArticleID: a.ID, ContentHash: a.ContentHash, Summary: s.Sentences, Teaser: s.Teaser, Method: s.Method,
				Names: names}
			if err := st.SaveEntry(ctx, e); err != nil {
				return done, problems, err
			}
			done++
		}
		if progress != nil {
			progress(i+1, len(articles))
		}
	}
	return done, problems, nil
}

// IssueOptions says how issues are built.
type IssueOptions struct {
	// Title makes an issue's title from its number.
	Title func(number int) string
	// BuildEmpty builds an issue even with no new entries.
	BuildEmpty bool
	// Draft builds the issue as a draft for an editor to review: published
	// nowhere and mailed to nobody until it is approved. Otherwise it is
	// released at once.
	Draft bool
	// MaxEntries is the most entries one issue takes; 0 takes them all.
	MaxEntries int
	// Overflow says what becomes of the entries beyond MaxEntries.
	Overflow Overflow
	// MaxAge leaves out of every issue the entries older than this (by
	// their article's publication, else when they were made); 0 keeps
	// them however old.
	MaxAge time.Duration
	// Now is the clock of MaxAge; nil is time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Overflow is what becomes of the entries that do not fit in an issue.
type Overflow string

const (
	// OverflowWait leaves them for the next issues, which take the oldest
	// first: every entry is told, however many arrive at once.
	OverflowWait Overflow = "wait"
	// OverflowDrop has the issue take the newest and leaves the older ones
	// out of every issue.
	OverflowDrop Overflow = "drop"
)

// ErrNothingNew is returned by BuildIssue when no entry awaits an issue.
var ErrNothingNew = errors.New("no new entries")

// Built is the issue BuildIssue built, and what it left.
type Built struct {
	store.Issue
	// Waiting counts the entries left for the next issues.
	Waiting int
	// Dropped counts the entries left out of every issue: too old, or
	// beyond MaxEntries with OverflowDrop.
	Dropped int
}

// BuildIssue puts the entries not yet in an issue into the next issue,
// merging the ones that tell a story told already (see MergeDuplicates),
// linking those that continue the story of an earlier issue (see
// LinkStories), at most opts.MaxEntries of them, the most important first
// (see byImportance). While an issue awaits review (a draft,
// or scheduled), none is built: the error wraps store.ErrAwaitingReview,
// and the entries wait for the issue after it.
func BuildIssue(ctx context.Context, st *store.Store, opts IssueOptions) (Built, error) {
	var b Built
	if n, err := st.IssueAwaitingReview(ctx); err != nil || n != 0 {
		if err == nil {
			err = fmt.Errorf("issue %d: %w", n, store.ErrAwaitingReview)
		}
		return b, fmt.Errorf("build issue: %w", err)
	}
	entries, err := st.UnissuedEntries(ctx)
	if err != nil {
		return b, fmt.Errorf("build issue: %w", err)
	}
	if entries, err = MergeDuplicates(ctx, st, entries); err != nil {
		return b, fmt.Errorf("build issue: %w", err)
	}
	if entries, err = LinkStories(ctx, st, entries); err != nil {
		return b, fmt.Errorf("build issue: %w", err)
	}
	entries, waiting, drop := opts.fit(entries)
	if err := st.LeaveOutEntries(ctx, drop); err != nil {
		return b, fmt.Errorf("build issue: %w", err)
	}
	b.Waiting, b.Dropped = waiting, len(drop)
	if len(entries) == 0 && !opts.BuildEmpty {
		return b, ErrNothingNew
	}
	sources, err := st.UnissuedSources(ctx)
	if err != nil {
		return b, fmt.Errorf("build issue: %w", err)
	}
	entries = byImportance(entries, sources)
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	title := opts.Title
	if title == nil {
		title = func(n int) string { return fmt.Sprintf("Issue #%d", n) }
	}
	create := st.CreateIssue
	if opts.Draft {
		create = st.CreateDraft
	}
	b.Issue, err = create(ctx, title, ids)
	if errors.Is(err, store.ErrNotFound) {
		return b, ErrNothingNew
	}
	return b, err
}

// fit chooses, of entries (newest first), those that go into the issue,
// newest first, how many wait for the next ones, and those to leave out of
// every issue.
func (o IssueOptions) fit(entries []store.Entry) (take []store.Entry, waiting int, drop []int64) {
	if o.MaxAge > 0 {
		now := time.Now
		if o.Now != nil {
			now = o.Now
		}
		cutoff := now().Add(-o.MaxAge)
		for _, e := range entries {
			t := e.Published
			if t.IsZero() {
				t = e.CreatedAt
			}
			if t.Before(cutoff) {
				drop = append(drop, e.ID)
			} else {
				take = append(take, e)
			}
		}
		entries = take
	}
	take = entries
	if n := o.MaxEntries; n > 0 && len(entries) > n {
		if o.Overflow == OverflowDrop {
			take = entries[:n]
			for _, e := range entries[n:] {
				drop = append(drop, e.ID)
			}
		} else {
			take = entries[len(entries)-n:]
			waiting = len(entries) - n
		}
	}
	return take, waiting, drop
}

// recentStories is how many of the latest issued entries a new entry is
// compared with, to catch a story told again in a later issue.
const recentStories = 200

// duplicateSimilarity is the least cosine, over the sets of content words of
// title and summary, at which two entries are taken for one story. Over the
// first four sentences of each of the 150 CNN/DailyMail dev articles (which
// have no titles), no two different stories reached 0.40; a copy or a lightly
// edited version of one article scores higher than 0.6 (see the tests). A
// retelling of one story in other words scored 0.38 in a trial, so write-ups
// by two outlets usually stay apart: merging two different stories would
// lose one of them.
const duplicateSimilarity = 0.6

// MergeDuplicates marks each of entries (the unissued ones, newest first)
// that tells the story of a recently issued entry, or of an older entry in
// entries, as its duplicate, and returns the rest. The first report of a
// story stays; later ones show beside it as other reports.
func MergeDuplicates(ctx context.Context, st *store.Store, entries []store.Entry) ([]store.Entry, error) {
	if len(entries) == 0 {
		return entries, nil
	}
	issued, err := st.IssuedBriefs(ctx, recentStories)
	if err != nil {
		return nil, err
	}
	dups := duplicatesOf(issued, entries)
	kept := make([]store.Entry, 0, len(entries)-len(dups))
	// Oldest first, as the stories were told.
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if of, ok := dups[e.ID]; ok {
			if err := st.MarkDuplicate(ctx, e.ID, of); err != nil {
				return nil, err
			}
			continue
		}
		kept = append(kept, e)
	}
	slices.Reverse(kept)
	return kept, nil
}

// setCosine is the cosine of the sets of distinct terms of two bags: how
// many terms they share, whatever each one's count.
func setCosine(a, b bag) float64 {
	if len(a.ids) == 0 || len(b.ids) == 0 {
		return 0
	}
	return float64(overlap(a, b)) / math.Sqrt(float64(len(a.ids))*float64(len(b.ids)))
}
