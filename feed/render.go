package feed

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/bulletin-app/bulletin/store"
)

// Data is what the documents are rendered from: issued entries by their
// place in the entries feed (store.Entry.FeedSeq, 1 for the first entry
// ever issued) and issues by number. *store.Store provides it. Each
// document reads only what it shows, so rendering one costs the same
// however long the archive.
type Data interface {
	// FeedTotals returns the last issue number and feed place.
	FeedTotals(ctx context.Context) (store.FeedTotals, error)
	// FeedEntries returns the issued entries at places from+1 … to,
	// newest first, with their other reports.
	FeedEntries(ctx context.Context, from, to int) ([]store.Entry, error)
	// IssuesBetween returns issues from+1 … to, newest first, with their
	// entries.
	IssuesBetween(ctx context.Context, from, to int) ([]store.Issue, error)
	// IssueInfos returns issues from+1 … to, newest first, without their
	// entries.
	IssueInfos(ctx context.Context, from, to int) ([]store.IssueInfo, error)
	// IssueLeads returns the first n entries of each of the issues
	// from+1 … to (their lead stories), newest issue first, each issue's
	// in the order IssuesBetween gives them, without their other reports.
	IssueLeads(ctx context.Context, from, to, n int) ([]store.Entry, error)
	// StoryEntries returns the published entries of a story (see
	// store.Entry.StoryID), newest first, at most limit of them.
	StoryEntries(ctx context.Context, story int64, limit int) ([]store.Entry, error)
	// StoriesBetween returns the stories with an entry at places from+1 …
	// to and at least two published entries: those that have a page.
	StoriesBetween(ctx context.Context, from, to int) ([]int64, error)
}

// ErrNotFound is returned for a path that names no document.
var ErrNotFound = errors.New("feed: no such document")

type docKind int

const (
	entriesFeed docKind = iota
	issuesFeed
	issuePage
	indexPage
	favicon   // the generated one, when Site.Icon names none
	storyPage // a story's page, /stories/<id>/
	storyFeed // a story's feed, /stories/<id>/feed.atom and the others
)

// docKey names what is rendered at once: a feed document in its three
// formats, or a page.
type docKey struct {
	kind docKind
	n    int // the archive page (0: the current document), the issue, or the story
}

// keyOf maps a document path to its key.
func keyOf(path string) (docKey, bool) {
	switch path {
	case "/":
		return docKey{kind: indexPage}, true
	case FaviconPath:
		return docKey{kind: favicon}, true
	case EntriesAtom, EntriesRSS, EntriesJSON:
		return docKey{kind: entriesFeed}, true
	case IssuesAtom, IssuesRSS, IssuesJSON:
		return docKey{kind: issuesFeed}, true
	}
	if rest, ok := strings.CutPrefix(path, "/stories/"); ok {
		n, file, ok := strings.Cut(rest, "/")
		k, err := strconv.Atoi(n)
		if !ok || err != nil || k <= 0 || strconv.Itoa(k) != n {
			return docKey{}, false
		}
		if file == "" {
			return docKey{kind: storyPage, n: k}, true
		}
		for _, f := range formats {
			if file == "feed"+f.ext() {
				return docKey{kind: storyFeed, n: k}, true
			}
		}
		return docKey{}, false
	}
	if rest, ok := strings.CutPrefix(path, "/issues/"); ok {
		if n, ok := strings.CutSuffix(rest, "/"); ok {
			if k, err := strconv.Atoi(n); err == nil && k > 0 && strconv.Itoa(k) == n {
				return docKey{kind: issuePage, n: k}, true
			}
		}
		return docKey{}, false
	}
	for _, s := range []struct {
		prefix string
		kind   docKind
	}{{"/feeds/entries/archive/", entriesFeed}, {"/feeds/issues/archive/", issuesFeed}} {
		rest, ok := strings.CutPrefix(path, s.prefix)
		if !ok {
			continue
		}
		for _, f := range formats {
			if n, ok := strings.CutSuffix(rest, f.ext()); ok {
				if k, err := strconv.Atoi(n); err == nil && k > 0 && strconv.Itoa(k) == n {
					return docKey{kind: s.kind, n: k}, true
				}
			}
		}
	}
	return docKey{}, false
}

// paths are the document paths of k.
func (k docKey) paths() []string {
	switch k.kind {
	case indexPage:
		return []string{"/"}
	case favicon:
		return []string{FaviconPath}
	case issuePage:
		return []string{issuePath(k.n)}
	case storyPage:
		return []string{storyPath(int64(k.n))}
	case storyFeed:
		out := make([]string, 0, len(formats))
		for _, f := range formats {
			out = append(out, storyFeedPath(int64(k.n), f))
		}
		return out
	}
	s := &stream{name: "entries", current: map[format]string{atomFormat: EntriesAtom, rssFormat: EntriesRSS, jsonFormat: EntriesJSON}}
	if k.kind == issuesFeed {
		s = &stream{name: "issues", current: map[format]string{atomFormat: IssuesAtom, rssFormat: IssuesRSS, jsonFormat: IssuesJSON}}
	}
	out := make([]string, 0, len(formats))
	for _, f := range formats {
		out = append(out, doc{stream: s, page: k.n}.path(f))
	}
	return out
}

// exists says whether the totals make the document.
func (b *builder) exists(k docKey, t store.FeedTotals) bool {
	switch k.kind {
	case entriesFeed:
		return k.n <= archivesFor(t.Entries, b.site.Items)
	case issuesFeed:
		return k.n <= archivesFor(t.Issues, b.site.Items)
	case issuePage:
		return k.n >= 1 && k.n <= t.Issues
	case favicon:
		return b.site.Icon == ""
	case storyPage, storyFeed:
		return k.n >= 1
	}
	return true
}

// render renders the document of k as the totals and data have it. A
// document the totals do not make is ErrNotFound.
func (b *builder) render(ctx context.Context, data Data, k docKey, t store.FeedTotals) ([]*Document, error) {
	if !b.exists(k, t) {
		return nil, ErrNotFound
	}
	n := b.site.Items
	switch k.kind {
	case entriesFeed:
		s := b.entriesStream(t.Entries)
		from, to := s.positions(k.n, n)
		entries, err := data.FeedEntries(ctx, from, to)
		if err != nil {
			return nil, fmt.Errorf("feed: entries %d–%d: %w", from+1, to, err)
		}
		items, err := b.entryItems(entries)
		if err != nil {
			return nil, err
		}
		return b.renderFeed(doc{stream: s, items: items, page: k.n})
	case issuesFeed:
		s := b.issuesStream(t.Issues)
		from, to := s.positions(k.n, n)
		issues, err := data.IssuesBetween(ctx, from, to)
		if err != nil {
			return nil, fmt.Errorf("feed: issues %d–%d: %w", from+1, to, err)
		}
		items, err := b.issueItems(issues)
		if err != nil {
			return nil, err
		}
		return b.renderFeed(doc{stream: s, items: items, page: k.n})
	case issuePage:
		issues, err := data.IssuesBetween(ctx, k.n-1, k.n)
		if err != nil {
			return nil, fmt.Errorf("feed: issue %d: %w", k.n, err)
		}
		if len(issues) == 0 {
			return nil, ErrNotFound
		}
		near, err := data.IssueInfos(ctx, k.n-2, k.n+1)
		if err != nil {
			return nil, fmt.Errorf("feed: issue %d: %w", k.n, err)
		}
		var newer, older *store.IssueInfo
		for i := range near {
			switch near[i].Number {
			case k.n + 1:
				newer = &near[i]
			case k.n - 1:
				older = &near[i]
			}
		}
		d, err := b.renderIssuePage(issues[0], newer, older)
		if err != nil {
			return nil, err
		}
		return []*Document{d}, nil
	case favicon:
		return []*Document{b.renderFavicon(t.Updated)}, nil
	case storyPage, storyFeed:
		entries, err := data.StoryEntries(ctx, int64(k.n), n)
		if err != nil {
			return nil, fmt.Errorf("feed: story %d: %w", k.n, err)
		}
		if len(entries) < 2 {
			return nil, ErrNotFound // one entry is no story to follow
		}
		if k.kind == storyPage {
			d, err := b.renderStoryPage(int64(k.n), entries)
			if err != nil {
				return nil, err
			}
			return []*Document{d}, nil
		}
		items, err := b.entryItems(entries)
		if err != nil {
			return nil, err
		}
		return b.renderFeed(doc{stream: b.storyStream(int64(k.n), entries), items: items})
	default:
		issues, err := data.IssueInfos(ctx, 0, t.Issues)
		if err != nil {
			return nil, fmt.Errorf("feed: issues: %w", err)
		}
		leads, err := data.IssueLeads(ctx, 0, t.Issues, indexLeads)
		if err != nil {
			return nil, fmt.Errorf("feed: issues: %w", err)
		}
		d, err := b.renderIndex(issues, leads, t.Updated)
		if err != nil {
			return nil, err
		}
		return []*Document{d}, nil
	}
}

// allKeys lists every document the totals make, and the stories'.
func (b *builder) allKeys(ctx context.Context, data Data, t store.FeedTotals) ([]docKey, error) {
	stories, err := data.StoriesBetween(ctx, 0, t.Entries)
	if err != nil {
		return nil, fmt.Errorf("feed: stories: %w", err)
	}
	return append(b.feedKeys(t), storyKeys(stories)...), nil
}

// storyKeys are the documents of the given stories.
func storyKeys(stories []int64) []docKey {
	var keys []docKey
	for _, id := range stories {
		keys = append(keys, docKey{kind: storyPage, n: int(id)}, docKey{kind: storyFeed, n: int(id)})
	}
	return keys
}

// feedKeys lists every document of the feeds and issues the totals make.
func (b *builder) feedKeys(t store.FeedTotals) []docKey {
	keys := []docKey{{kind: indexPage}, {kind: entriesFeed}, {kind: issuesFeed}}
	if b.site.Icon == "" {
		keys = append(keys, docKey{kind: favicon})
	}
	for k := 1; k <= archivesFor(t.Entries, b.site.Items); k++ {
		keys = append(keys, docKey{kind: entriesFeed, n: k})
	}
	for k := 1; k <= archivesFor(t.Issues, b.site.Items); k++ {
		keys = append(keys, docKey{kind: issuesFeed, n: k})
	}
	for n := 1; n <= t.Issues; n++ {
		keys = append(keys, docKey{kind: issuePage, n: n})
	}
	return keys
}
