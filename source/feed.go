package source

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Full-text modes for UpstreamFeed.FullText.
const (
	// FullTextAuto fetches an item's page when its feed text looks
	// truncated (see UpstreamFeed.FullText). It is the default.
	FullTextAuto = "auto"
	// FullTextAlways fetches every item's page.
	FullTextAlways = "always"
	// FullTextNever keeps the feed's text.
	FullTextNever = "never"
)

// UpstreamFeed collects articles from an upstream RSS, Atom or JSON feed
// over HTTP: a feed bulletin reads, where package feed makes the ones it
// writes. Its zero values are usable defaults; Name and URL are required.
type UpstreamFeed struct {
	// Name is the configured source name, copied to Article.Source.
	Name string
	// URL is the feed's address.
	URL string
	// FullText says when to fetch an item's own page for its text:
	// "auto" (or ""), "always" or "never". In auto mode the page is
	// fetched when the item's text is empty, shorter than ShortText
	// characters, ends like a teaser ("…", "[…]", "Read more"), or is only
	// a summary (RSS description, Atom summary) under 4×ShortText.
	FullText string
	// ShortText is the length under which auto mode treats a text as
	// truncated. Zero means 600 characters.
	ShortText int
	// MaxItems bounds the items taken from one fetch: the newest, by
	// their dates (document order where they have none). Zero means
	// DefaultMaxItems.
	MaxItems int
	// MaxPages bounds the pages fetched for full text in one Fetch; the
	// items past it keep their feed text. Zero means DefaultMaxPages.
	MaxPages int
	// PageConcurrency bounds page fetches running at once. Zero means 4.
	PageConcurrency int
	// Known, if set, reports whether an article key is already stored.
	// A known item whose text would need its page is left out of the
	// result instead of being fetched again, so a feed of teasers costs
	// page fetches only for new items.
	Known func(key string) bool

	// Client makes the requests; nil means NewClient's, which reaches only
	// public addresses and stops after 10 redirects. A client given here is
	// used as it is: build it with NewClient to keep those guarantees. Its
	// own Timeout, if any, also applies.
	Client *http.Client
	// UserAgent is sent with every request, e.g.
	// "bulletin/1.2 (+https://example.org)". Empty means DefaultUserAgent.
	UserAgent string
	// MaxBytes bounds a feed or page body. Zero means DefaultMaxBytes.
	MaxBytes int64
	// Timeout bounds one request, body included. Zero means DefaultTimeout.
	Timeout time.Duration

	// ReportAfter is how many consecutive failures make the source
	// Failing; FailingAfter how long a run of failures may last before it
	// does, whichever comes first. Zero means DefaultReportAfter and
	// DefaultFailingAfter.
	ReportAfter  int
	FailingAfter time.Duration
	// Backoff is the wait after a first failure, doubling with each further
	// one up to MaxBackoff. Zero means DefaultBackoff and DefaultMaxBackoff.
	Backoff    time.Duration
	MaxBackoff time.Duration

	// Logger receives debug detail; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Validate checks the configuration, naming the bad field.
func (f UpstreamFeed) Validate() error {
	if f.Name == "" {
		return errors.New("feed source: name is empty")
	}
	if u, err := url.Parse(f.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("feed source %q: url %q is not an absolute http(s) URL", f.Name, f.URL)
	}
	switch f.FullText {
	case "", FullTextAuto, FullTextAlways, FullTextNever:
	default:
		return fmt.Errorf("feed source %q: full_text %q: want auto, always or never", f.Name, f.FullText)
	}
	return nil
}

// Fetch reads the feed once and returns its articles and the next state.
//
// Before st.NextAttempt it does nothing and returns an error matching
// ErrBackoff with st unchanged. Otherwise it sends st's validators; a 304
// returns no articles and counts as a success. Any failure is returned as
// the error and recorded in the returned State, which keeps the validators
// and all else learnt before; State.Failing tells whether the failure has
// persisted long enough to report. Items that cannot be used, and pages
// that could not be fetched for full text, are in Result.Problems and do not
// fail the fetch.
func (f UpstreamFeed) Fetch(ctx context.Context, st State) (Result, State, error) {
	now := f.now()
	if now.Before(st.NextAttempt) {
		return Result{}, st, backoffError{until: st.NextAttempt}
	}
	if err := f.Validate(); err != nil {
		return Result{}, st.failed(now, err, time.Time{}, f.policy()), err
	}
	res, resp, items, cutMark, err := f.fetch(ctx, st, now)
	if err != nil {
		if ctx.Err() != nil {
			// Our own shutdown or deadline says nothing about the source.
			return Result{}, st, fmt.Errorf("feed source %q: %w", f.Name, context.Cause(ctx))
		}
		var retry time.Time
		if resp != nil {
			retry = resp.retryAfter
		}
		next := st.failed(now, err, retry, f.policy())
		f.logger().Debug("feed fetch failed", "source", f.Name, "url", f.URL, "failures", next.Failures, "failing", next.Failing(), "err", err)
		return Result{}, next, fmt.Errorf("feed source %q: %w", f.Name, err)
	}
	next := st.succeeded(now)
	if resp.status != http.StatusNotModified {
		next.CutMark = cutMark
	}
	// An empty feed keeps the old validators: if it was a hiccup, the next
	// fetch gets the whole feed again rather than a 304 for the empty one.
	// A feed whose items were all left out (known already) is not empty.
	if resp.status != http.StatusNotModified && items > 0 {
		next.ETag, next.LastModified = resp.etag, resp.lastMod
	}
	return res, next, nil
}

// fetch also returns how many items the feed held, and the State.CutMark
// to keep.
func (f UpstreamFeed) fetch(ctx context.Context, st State, now time.Time) (Result, *response, int, string, error) {
	h := http.Header{}
	if st.ETag != "" {
		h.Set("If-None-Match", st.ETag)
	}
	if st.LastModified != "" {
		h.Set("If-Modified-Since", st.LastModified)
	}
	resp, err := f.fetcher().get(ctx, f.URL, feedAccept, h, now)
	if err != nil {
		return Result{}, resp, 0, "", err
	}
	if resp.status == http.StatusNotModified {
		f.logger().Debug("feed not modified", "source", f.Name, "url", f.URL)
		return Result{}, resp, 0, "", nil
	}
	parsed, err := parseFeed(resp, f.URL, f.maxItems())
	if err != nil {
		return Result{}, resp, 0, "", err
	}
	res, cutMark := f.articles(ctx, parsed, resp.url, now, st.CutMark)
	f.logger().Debug("feed fetched", "source", f.Name, "url", f.URL, "items", parsed.total, "parsed", len(parsed.feed.Items),
		"articles", len(res.Articles), "problems", len(res.Problems))
	return res, resp, parsed.total, cutMark, nil
}

const feedAccept = "application/atom+xml, application/rss+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"

// notFeedError explains a body that is no feed; for an HTML page it names
// the feed the page advertises, which is usually what was meant.
func notFeedError(body []byte, resp *response) error {
	mt, _, _ := strings.Cut(resp.contentType, ";")
	mt = strings.TrimSpace(mt)
	if mt == "" {
		mt = http.DetectContentType(body)
	}
	if !strings.Contains(mt, "html") {
		return fmt.Errorf("%w: unrecognised %s body", errNotFeed, mt)
	}
	doc, err := html.Parse(bytes.NewReader(body))
	if err == nil {
		if alt := alternateFeed(doc, resp.url); alt != "" {
			return fmt.Errorf("%w: got an HTML page, which links to the feed %s", errNotFeed, alt)
		}
	}
	return fmt.Errorf("%w: got an HTML page", errNotFeed)
}

func alternateFeed(n *html.Node, base *url.URL) string {
	if n.Type == html.ElementNode && n.DataAtom == atom.Link && hasToken(attr(n, "rel"), "alternate") {
		switch strings.ToLower(attr(n, "type")) {
		case "application/rss+xml", "application/atom+xml", "application/feed+json":
			if u, err := base.Parse(attr(n, "href")); err == nil {
				return u.String()
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if s := alternateFeed(c, base); s != "" {
			return s
		}
	}
	return ""
}

// pending is an article still being built: whether its page is wanted.
type pending struct {
	Article
	wantPage bool
}

// articles converts the feed's items, skipping and reporting unusable ones,
// and fetches full text where wanted. A cut by fetch.max_items is reported
// when it left out news, unless it is the cut reported last time (mark);
// the mark to keep is returned.
func (f UpstreamFeed) articles(ctx context.Context, parsed *parsedFeed, base *url.URL, now time.Time, mark string) (Result, string) {
	res := Result{Problems: parsed.problems}
	newMark := ""
	if c := parsed.cut; c != nil {
		key, news := f.cutHoldsNews(c, parsed.feed, base, now)
		if news {
			newMark = key
			if key != mark || f.Known == nil {
				res.problem(f.URL, c.problem())
			}
		}
	}
	var items []pending
	seen := map[string]bool{}
	feed := parsed.feed
	for i, it := range feed.Items {
		if it == nil {
			continue
		}
		p, err := f.item(it, base, now)
		if err != nil {
			res.problem(fmt.Sprintf("%s item %d", f.URL, parsed.number(i)), err)
			continue
		}
		if p.Author == "" {
			p.Author = feedAuthor(feed)
		}
		// One story linked twice (another tracking tag, an "updated" copy)
		// is one article: the first, as feeds list newest first.
		if seen[p.Key] {
			continue
		}
		seen[p.Key] = true
		if p.wantPage && f.Known != nil && f.Known(p.Key) {
			continue // stored already, with the best text we could get
		}
		items = append(items, p)
	}
	f.fullText(ctx, items, &res)
	for _, p := range items {
		res.Articles = append(res.Articles, p.Article)
	}
	return res, newMark
}

// cutHoldsNews tells whether what fetch.max_items left out of a feed holds
// an item never collected, and returns the key of the newest item left
// out. A feed that always holds more items than that (a year of news,
// say) loses only old items it lost before, which need no report at every
// fetch; one whose news since the last fetch outgrew the bound does. The
// items left out are the oldest, so it is enough to look at the newest of
// them: if it was collected before, every item newer than it is either
// taken now or was taken then, and every older one was left out before,
// when that was reported.
func (f UpstreamFeed) cutHoldsNews(c *itemCut, taken *gofeed.Feed, base *url.URL, now time.Time) (string, bool) {
	if f.Known == nil {
		return "", true
	}
	keys := map[string]bool{} // of the items taken: a copy left out is no news
	for _, it := range taken.Items {
		if it != nil {
			if p, err := f.item(it, base, now); err == nil {
				keys[p.Key] = true
			}
		}
	}
	const batch = 20
	for start := 0; start < len(c.dropped); start += batch {
		idx := slices.Clone(c.dropped[start:min(start+batch, len(c.dropped))])
		slices.Sort(idx) // the document's order
		feed, err := gofeed.NewParser().Parse(bytes.NewReader(c.m.document(idx)))
		if err != nil || len(feed.Items) != len(idx) {
			return "", true // cannot tell which is which: say so
		}
		byIndex := map[int]*gofeed.Item{}
		for i, k := range idx {
			byIndex[k] = feed.Items[i]
		}
		for _, k := range c.dropped[start:min(start+batch, len(c.dropped))] { // newest first
			it := byIndex[k]
			if it == nil {
				continue
			}
			p, err := f.item(it, base, now)
			if err != nil || keys[p.Key] {
				continue // unusable, or a copy of one taken: the next
			}
			return p.Key, !f.Known(p.Key)
		}
	}
	return "", false
}

// item converts one feed item.
func (f UpstreamFeed) item(it *gofeed.Item, base *url.URL, now time.Time) (pending, error) {
	var p pending
	a := &p.Article
	a.Source, a.Origin = f.Name, f.URL
	a.URL = itemLink(it, base)
	a.Title = singleLine(feedText(it.Title))
	content, summary := feedText(it.Content), feedText(it.Description)
	a.Text = content
	if a.Text == "" {
		a.Text = summary
	}
	if a.Title == "" && a.Text == "" && a.URL == "" {
		return p, errors.New("item has no title, text or link")
	}
	if a.Title == "" {
		first, _ := firstLine(a.Text)
		a.Title = truncateRunes(singleLine(first), 80)
	}
	if a.Title == "" {
		a.Title = a.URL
	}
	if len(it.Authors) > 0 && it.Authors[0] != nil {
		a.Author = singleLine(it.Authors[0].Name)
	}
	a.Published = itemDate(it, now)
	a.Image = itemImage(it, base)
	articleKey(a)
	p.wantPage = a.URL != "" && f.wantsPage(content, summary)
	return p, nil
}

func feedAuthor(feed *gofeed.Feed) string {
	if len(feed.Authors) > 0 && feed.Authors[0] != nil {
		return singleLine(feed.Authors[0].Name)
	}
	return ""
}

// itemLink is the item's link resolved against the feed's URL; failing
// that, a GUID that is a web URL (RSS's isPermaLink default).
func itemLink(it *gofeed.Item, base *url.URL) string {
	candidates := append([]string{it.Link}, it.Links...)
	candidates = append(candidates, it.GUID)
	for i, c := range candidates {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		u, err := base.Parse(c)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			continue
		}
		if i == len(candidates)-1 && !strings.Contains(c, "://") {
			continue // a relative-looking GUID is an id, not a link
		}
		return u.String()
	}
	return ""
}

// itemDate is when the item was published (or else updated). A date in the
// future is a publisher's mistake or a time zone error; it is clamped to now
// so the article does not sort ahead of everything for days. A date without
// a zone is read as UTC by the parser.
func itemDate(it *gofeed.Item, now time.Time) time.Time {
	var t time.Time
	switch {
	case it.PublishedParsed != nil:
		t = *it.PublishedParsed
	case it.UpdatedParsed != nil:
		t = *it.UpdatedParsed
	default:
		return time.Time{}
	}
	if t.After(now) {
		return now
	}
	return t
}

// teaserMarks and teaserWords end the text of an item that only starts the
// story.
var (
	teaserMarks = []string{"…", "...", "[…]", "[...]", "(…)", "(...)"}
	teaserWords = []string{"read more", "continue reading", "read the full article", "read the full story", "read full story"}
)

// wantsPage decides whether an item's page should be fetched for its text.
func (f UpstreamFeed) wantsPage(content, summary string) bool {
	switch f.FullText {
	case FullTextNever:
		return false
	case FullTextAlways:
		return true
	}
	text, short := content, f.shortText()
	if text == "" {
		text = summary
		short *= 4 // a summary is a teaser unless it is long
	}
	if text == "" || utf8.RuneCountInString(text) < short {
		return true
	}
	return isTeaser(text)
}

func isTeaser(text string) bool {
	tail := strings.ToLower(text[max(0, len(text)-60):])
	tail = strings.TrimRight(tail, " \n»›→>")
	for _, m := range teaserMarks {
		if strings.HasSuffix(tail, m) {
			return true
		}
	}
	tail = strings.TrimRight(tail, " .:!")
	for _, w := range teaserWords {
		if strings.HasSuffix(tail, " "+w) || strings.HasSuffix(tail, "\n"+w) {
			return true
		}
	}
	return false
}

func (f UpstreamFeed) maxItems() int { return cmp.Or(max(f.MaxItems, 0), DefaultMaxItems) }

func (f UpstreamFeed) maxPages() int { return cmp.Or(max(f.MaxPages, 0), DefaultMaxPages) }

func (f UpstreamFeed) shortText() int {
	if f.ShortText > 0 {
		return f.ShortText
	}
	return 600
}

func (f UpstreamFeed) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f UpstreamFeed) logger() *slog.Logger {
	if f.Logger != nil {
		return f.Logger
	}
	return slog.Default()
}

// fetcher and policy fill in the defaults of zero fields (cmp.Or takes the
// first non-zero value).
func (f UpstreamFeed) fetcher() fetcher {
	return fetcher{
		client:    cmp.Or(f.Client, defaultClient),
		userAgent: cmp.Or(f.UserAgent, DefaultUserAgent),
		maxBytes:  cmp.Or(max(f.MaxBytes, 0), DefaultMaxBytes),
		timeout:   cmp.Or(max(f.Timeout, 0), DefaultTimeout),
	}
}

func (f UpstreamFeed) policy() failurePolicy {
	return failurePolicy{
		backoff:      cmp.Or(max(f.Backoff, 0), DefaultBackoff),
		maxBackoff:   cmp.Or(max(f.MaxBackoff, 0), DefaultMaxBackoff),
		reportAfter:  cmp.Or(max(f.ReportAfter, 0), DefaultReportAfter),
		failingAfter: cmp.Or(max(f.FailingAfter, 0), DefaultFailingAfter),
	}
}
