// Package digest turns stored articles into digest entries (summaries) and
// groups the entries not yet sent into numbered issues.
package digest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

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
	for i, a := range articles {
		if err := ctx.Err(); err != nil {
			return done, problems, err
		}
		s, err := sum.Summarize(ctx, Document{Title: a.Title, Text: a.Text})
		if err == nil && len(s.Sentences) == 0 {
			err = errors.New("no summary: the article has no readable text")
		}
		if err != nil {
			problems = append(problems, Problem{ArticleID: a.ID, Title: a.Title, Err: err})
		} else {
			e := store.Entry{ArticleID: a.ID, ContentHash: a.ContentHash, Summary: s.Sentences, Teaser: s.Teaser, Method: s.Method}
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
	Logger     *slog.Logger
}

// ErrNothingNew is returned by BuildIssue when no entry awaits an issue.
var ErrNothingNew = errors.New("no new entries")

// BuildIssue puts every entry not yet in an issue into the next issue.
func BuildIssue(ctx context.Context, st *store.Store, opts IssueOptions) (store.Issue, error) {
	entries, err := st.UnissuedEntries(ctx)
	if err != nil {
		return store.Issue{}, fmt.Errorf("build issue: %w", err)
	}
	if len(entries) == 0 && !opts.BuildEmpty {
		return store.Issue{}, ErrNothingNew
	}
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	title := opts.Title
	if title == nil {
		title = func(n int) string { return fmt.Sprintf("Issue #%d", n) }
	}
	is, err := st.CreateIssue(ctx, title, ids)
	if errors.Is(err, store.ErrNotFound) {
		return store.Issue{}, ErrNothingNew
	}
	return is, err
}
