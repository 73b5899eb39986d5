package source

import (
	"context"
	"fmt"
	"mime"
	"sync"
	"time"
)

const pageAccept = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"

// fullText replaces the text of the items that want it with the readable
// text of their pages, a few pages at a time and at most f.MaxPages of
// them. A page that fails, or is left out, leaves the feed's text in place
// and is reported.
func (f UpstreamFeed) fullText(ctx context.Context, items []pending, res *Result) {
	n := f.PageConcurrency
	if n <= 0 {
		n = 4
	}
	sem := make(chan struct{}, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	fe := f.fetcher()
	budget, overBudget, cut := f.maxPages(), 0, 0
	for i := range items {
		if !items[i].wantPage {
			continue
		}
		if budget == 0 {
			overBudget++
			continue
		}
		budget--
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			p := &items[i]
			var text string
			var image Image
			err := ctx.Err()
			if err == nil {
				text, image, err = f.pageText(ctx, fe, p.URL)
			}
			if err != nil {
				mu.Lock()
				defer mu.Unlock()
				if ctx.Err() != nil {
					cut++ // one problem for all, below
					return
				}
				res.problem(p.URL, fmt.Errorf("full text not fetched, feed text kept: %w", err))
				return
			}
			// Extraction that finds less than the feed had found the wrong
			// part of the page.
			if p.Image.URL == "" {
				p.Image = image // the page's og:image, when the feed named none
			}
			if len(text) > len(p.Text) {
				p.Text = text
			}
		})
	}
	wg.Wait()
	if overBudget > 0 {
		res.problem(f.URL, fmt.Errorf("%d pages not fetched for full text, feed text kept: at most %d a fetch (fetch.max_pages)", overBudget, f.maxPages()))
	}
	if cut > 0 {
		res.problem(f.URL, fmt.Errorf("%d pages not fetched for full text, feed text kept: %w", cut, context.Cause(ctx)))
	}
}

// pageText fetches a page and extracts its readable text.
func (f UpstreamFeed) pageText(ctx context.Context, fe fetcher, link string) (text string, image Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("page parser failure: %v", r)
		}
	}()
	f.logger().Debug("fetching page for full text", "source", f.Name, "url", link)
	resp, err := fe.get(ctx, link, pageAccept, nil, time.Now())
	if err != nil {
		return "", Image{}, err
	}
	if mt, _, _ := mime.ParseMediaType(resp.contentType); mt != "" && mt != "text/html" && mt != "application/xhtml+xml" {
		return "", Image{}, fmt.Errorf("GET %s: not an HTML page (%s)", link, mt)
	}
	a, err := parseHTML(htmlUTF8(resp.body, resp.contentType), resp.url)
	if err != nil {
		return "", Image{}, fmt.Errorf("GET %s: %w", link, err)
	}
	return a.Text, a.Image, nil
}
