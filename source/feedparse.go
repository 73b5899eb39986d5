package source

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/mmcdole/gofeed"
)

// detectBytes is how much of a body tells its feed type: what
// gofeed.Parser.Parse looks at.
const detectBytes = 4096

// parsedFeed is a feed body parsed within the bounds of feedmap.go.
type parsedFeed struct {
	feed *gofeed.Feed
	// numbers are the 1-based positions in the body of feed.Items, which
	// may be fewer than the body held; nil when they are 1, 2, 3...
	numbers []int
	// total counts the items of the body.
	total int
	// problems are what was left out, and why.
	problems []Problem
	// cut is what fetch.max_items left out, if anything: reported only
	// when it held news (see UpstreamFeed.cutHoldsNews).
	cut *itemCut
}

// itemCut is what fetch.max_items left out of a feed.
type itemCut struct {
	m *feedMap
	// dropped are the indexes in m of the items left out, newest first.
	dropped     []int
	total, kept int
}

func (c *itemCut) problem() error {
	return fmt.Errorf("the feed holds %d items: took the newest %d (fetch.max_items), and some left out were never collected", c.total, c.kept)
}

// number is the position in the body of the i-th parsed item.
func (p *parsedFeed) number(i int) int {
	if i < len(p.numbers) {
		return p.numbers[i]
	}
	return i + 1
}

// parseFeed decodes a fetched body in whichever feed format it is. Of a
// body broken part way, the items before the break are parsed; of more
// than maxItems items, the newest maxItems; of items holding too many
// elements, the newest that fit. Each such cut is a Problem of origin.
func parseFeed(resp *response, origin string, maxItems int) (parsed *parsedFeed, err error) {
	defer func() {
		if r := recover(); r != nil {
			parsed, err = nil, fmt.Errorf("feed parser failure: %v", r)
		}
	}()
	body, err := toUTF8(resp.body, resp.contentType)
	if err != nil {
		return nil, err
	}
	// The type is told by the first bytes, as gofeed.Parser.Parse tells
	// it: DetectFeedType copies all it is given.
	typ := gofeed.DetectFeedType(bytes.NewReader(body[:min(len(body), detectBytes)]))
	if typ == gofeed.FeedTypeUnknown {
		return nil, notFeedError(body, resp)
	}
	m, err := mapFeed(dropControls(body), typ == gofeed.FeedTypeJSON)
	if err != nil {
		return nil, fmt.Errorf("parse feed: %w", err)
	}
	parsed = &parsedFeed{total: len(m.items)}
	keep := parsed.selectItems(m, origin, maxItems)
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(m.document(keep)))
	if err != nil {
		return nil, fmt.Errorf("parse feed: %w", err)
	}
	parsed.feed = feed
	if len(feed.Items) == len(keep) && len(keep) < len(m.items) {
		parsed.numbers = make([]int, len(keep))
		for i, k := range keep {
			parsed.numbers[i] = k + 1
		}
	}
	if m.broken != nil {
		parsed.problem(origin, fmt.Errorf("feed broken at %w: kept the %d items before it", m.broken, len(m.items)))
	}
	return parsed, nil
}

func (p *parsedFeed) problem(origin string, err error) {
	p.problems = append(p.problems, Problem{Origin: origin, Err: err})
}

// selectItems returns the indexes, in document order, of the items to
// parse: the usable ones, or the newest of them that fit maxItems and the
// element budget.
func (p *parsedFeed) selectItems(m *feedMap, origin string, maxItems int) []int {
	var usable []int
	elements := 0
	for i, it := range m.items {
		if it.bad != itemOK {
			p.problem(fmt.Sprintf("%s item %d", origin, i+1), fmt.Errorf("skipped: %w", it.bad))
			continue
		}
		usable = append(usable, i)
		elements += int(it.elements)
	}
	budget := maxFeedElements - m.outside
	if len(usable) <= maxItems && elements <= budget {
		return usable
	}
	dates := itemDates(m, usable)
	newest := slices.Clone(usable)
	slices.SortStableFunc(newest, func(a, b int) int {
		da, db := dates[a], dates[b]
		switch {
		case da.IsZero() || db.IsZero():
			return cmp.Compare(boolInt(da.IsZero()), boolInt(db.IsZero())) // undated last
		default:
			return db.Compare(da)
		}
	})
	var keep []int
	elements = 0
	for _, i := range newest {
		if len(keep) == maxItems || elements+int(m.items[i].elements) > budget {
			break
		}
		keep = append(keep, i)
		elements += int(m.items[i].elements)
	}
	if len(keep) == maxItems {
		p.cut = &itemCut{m: m, dropped: newest[len(keep):], total: len(usable), kept: len(keep)}
	} else {
		p.problem(origin, fmt.Errorf("the feed's items hold over %d elements: took the newest %d of %d", budget, len(keep), len(usable)))
	}
	slices.Sort(keep)
	return keep
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// itemDates reads the date of each item listed, as the parser reads it, by
// parsing them a batch at a time, so that the memory a parse takes stays
// bounded. An item whose date is unknown has the zero time.
func itemDates(m *feedMap, items []int) map[int]time.Time {
	const batchItems = 500
	items = slices.DeleteFunc(slices.Clone(items), func(i int) bool { return !m.items[i].dated })
	dates := make(map[int]time.Time, len(items))
	for len(items) > 0 {
		n, elements := 0, 0
		for n < len(items) && n < batchItems && elements+int(m.items[items[n]].elements) <= maxFeedElements-m.outside {
			elements += int(m.items[items[n]].elements)
			n++
		}
		n = max(n, 1)
		batch := items[:n]
		items = items[n:]
		feed, err := gofeed.NewParser().Parse(bytes.NewReader(m.document(batch)))
		if err != nil || len(feed.Items) != len(batch) {
			continue // dated by position alone
		}
		for j, it := range feed.Items {
			switch {
			case it.PublishedParsed != nil:
				dates[batch[j]] = *it.PublishedParsed
			case it.UpdatedParsed != nil:
				dates[batch[j]] = *it.UpdatedParsed
			}
		}
	}
	return dates
}

// dropControls removes the C0 control bytes XML does not allow (all but
// tab, LF and CR), as the feed parser does before it reads, so that the
// map of the body matches what the parser sees. JSON escapes them, so
// they cannot stand in a valid JSON body either.
func dropControls(body []byte) []byte {
	if bytes.IndexFunc(body, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\n' && r != '\r' }) < 0 {
		return body
	}
	out := make([]byte, 0, len(body))
	for _, c := range body {
		if c >= 0x20 || c == '\t' || c == '\n' || c == '\r' {
			out = append(out, c)
		}
	}
	return out
}
