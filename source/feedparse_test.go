package source

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

func parseBody(t *testing.T, body string, maxItems int) (*parsedFeed, error) {
	t.Helper()
	base, _ := url.Parse("https://example.org/feed")
	return parseFeed(&response{body: []byte(body), url: base, contentType: "application/xml"}, "https://example.org/feed", maxItems)
}

func titles(p *parsedFeed) string {
	var out []string
	for _, it := range p.feed.Items {
		out = append(out, it.Title)
	}
	return strings.Join(out, "|")
}

func problems(p *parsedFeed) string {
	var out []string
	for _, pr := range p.problems {
		out = append(out, pr.Error())
	}
	return strings.Join(out, "\n")
}

const rssHead = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title><link>https://example.org/</link>
`

func rssItems(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&b, "<item><title>Story %d</title><link>https://example.org/%d</link><description>Text %d &amp; more.</description></item>\n", i, i, i)
	}
	return b.String()
}

const atomHead = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:x</id><updated>2024-03-01T00:00:00Z</updated>
`

func atomEntries(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&b, "<entry><title>Story %d</title><id>urn:%d</id><link href=\"https://example.org/%d\"/><updated>2024-03-01T00:00:00Z</updated></entry>\n", i, i, i)
	}
	return b.String()
}

func jsonItems(from, to int) string {
	var parts []string
	for i := from; i <= to; i++ {
		parts = append(parts, fmt.Sprintf(`{"id":"%d","url":"https://example.org/%d","title":"Story %d","content_text":"Text %d."}`, i, i, i, i))
	}
	return strings.Join(parts, ",\n")
}

const jsonHead = `{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[`

// A body broken part way keeps the items before the break and says where
// it broke; before, a cut body lost every item and a stray end tag lost the
// items after it without a word.
func TestParseFeedBrokenPartWay(t *testing.T) {
	tests := []struct {
		name, body string
		want       string // titles kept
		line       int    // of the break
	}{
		{"rss cut in an item", rssHead + rssItems(1, 2) + "<item><title>Sto", "Story 1|Story 2", 5},
		{"rss cut after an item", rssHead + rssItems(1, 3), "Story 1|Story 2|Story 3", 6},
		{"rss stray end tag", rssHead + rssItems(1, 2) + "<item><title>x</titl></item>\n" + rssItems(4, 5) + "</channel></rss>", "Story 1|Story 2", 5},
		{"rss bad markup", rssHead + rssItems(1, 1) + "<item><title>a < b</title></item>\n" + rssItems(3, 3) + "</channel></rss>", "Story 1", 4},
		{"rss too deep", rssHead + rssItems(1, 1) + "<item>" + strings.Repeat("<x>", 100) + "</item>" + "</channel></rss>", "Story 1", 4},
		{"atom cut", atomHead + atomEntries(1, 2) + "<entry><title>C", "Story 1|Story 2", 5},
		{"json cut", jsonHead + jsonItems(1, 2) + `,{"id":"3","con`, "Story 1|Story 2", 2},
		{"json garbage", jsonHead + jsonItems(1, 2) + `,{"id": nope}]}`, "Story 1|Story 2", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseBody(t, tt.body, 100)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if got := titles(p); got != tt.want {
				t.Errorf("items %q, want %q", got, tt.want)
			}
			want := fmt.Sprintf("https://example.org/feed: feed broken at line %d: ", tt.line)
			if len(p.problems) != 1 || !strings.HasPrefix(problems(p), want) {
				t.Errorf("problems:\n%s\nwant one starting %q", problems(p), want)
			}
		})
	}
}

// What real feeds get wrong and the parser takes in its stride is not a
// break: an element left open inside an item, entities HTML knows and XML
// does not, a bare ampersand, control characters.
func TestParseFeedToleratesWhatTheParserDoes(t *testing.T) {
	body := rssHead + "<item><title>caf&eacute; &nbsp;crème</title><description>a<br>b &c</description></item>\n" +
		"<item><title>nul\x00 here</title><description>x\x01y</description></item>\n" + rssItems(3, 3) + "</channel></rss>"
	p, err := parseBody(t, body, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.problems) != 0 {
		t.Errorf("problems: %s", problems(p))
	}
	direct, err := gofeed.NewParser().Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(direct.Items) != 3 || titles(p) != titles(&parsedFeed{feed: direct}) {
		t.Errorf("items %q, the parser alone reads %q", titles(p), titles(&parsedFeed{feed: direct}))
	}
}

// Well-formed feeds parse exactly as the parser alone parses them.
func TestParseFeedFixturesAsTheParser(t *testing.T) {
	files, _ := filepath.Glob("testdata/feeds/*")
	for _, path := range files {
		body, _ := os.ReadFile(path)
		direct, derr := gofeed.NewParser().Parse(bytes.NewReader(body))
		base, _ := url.Parse("https://example.org/")
		p, err := parseFeed(&response{body: body, url: base}, "x", 100)
		if derr != nil {
			continue // not a feed, or broken: tested elsewhere
		}
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if titles(p) != titles(&parsedFeed{feed: direct}) || len(p.problems) != 0 {
			t.Errorf("%s: items %q (problems %q), the parser alone reads %q", path, titles(p), problems(p), titles(&parsedFeed{feed: direct}))
		}
	}
}

// Of a feed holding more items than a fetch takes, the newest are taken,
// whatever the order the feed lists them in.
func TestParseFeedTakesTheNewest(t *testing.T) {
	var b strings.Builder
	b.WriteString(rssHead)
	day := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
	for i := 1; i <= 1200; i++ { // oldest first
		fmt.Fprintf(&b, "<item><title>Story %d</title><link>https://example.org/%d</link><pubDate>%s</pubDate></item>\n",
			i, i, day.Add(time.Duration(i)*time.Hour).Format(time.RFC1123Z))
	}
	b.WriteString("</channel></rss>")
	p, err := parseBody(t, b.String(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.feed.Items) != 100 || p.feed.Items[0].Title != "Story 1101" || p.feed.Items[99].Title != "Story 1200" {
		t.Fatalf("%d items, %q … %q; want Story 1101 … Story 1200", len(p.feed.Items), p.feed.Items[0].Title, p.feed.Items[len(p.feed.Items)-1].Title)
	}
	if p.total != 1200 || p.number(0) != 1101 {
		t.Errorf("total %d, first item numbered %d", p.total, p.number(0))
	}
	if want := "holds 1200 items: took the newest 100 (fetch.max_items)"; p.cut == nil || !strings.Contains(p.cut.problem().Error(), want) {
		t.Errorf("cut %+v, want %q", p.cut, want)
	}

	// Without dates, document order decides; JSON and Atom alike.
	for name, body := range map[string]string{
		"json": jsonHead + jsonItems(1, 300) + "]}",
		"atom": atomHead + atomEntries(1, 300) + "</feed>",
	} {
		p, err := parseBody(t, body, 20)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(p.feed.Items) != 20 || p.feed.Items[0].Title != "Story 1" || p.feed.Items[19].Title != "Story 20" {
			t.Errorf("%s: %d items from %q", name, len(p.feed.Items), titles(p))
		}
	}
}

// Items built to make the parser allocate are left out and reported; so is
// a feed whose own part is.
func TestParseFeedBoundsElements(t *testing.T) {
	fat := "<item><title>Fat</title>" + strings.Repeat("<category>x</category>", maxItemElements) + "</item>\n"
	p, err := parseBody(t, rssHead+rssItems(1, 1)+fat+rssItems(3, 3)+"</channel></rss>", 100)
	if err != nil {
		t.Fatal(err)
	}
	if titles(p) != "Story 1|Story 3" || !strings.Contains(problems(p), "item 2: skipped: over 5000 elements") {
		t.Errorf("items %q, problems %q", titles(p), problems(p))
	}
	if p.number(1) != 3 {
		t.Errorf("Story 3 numbered %d", p.number(1))
	}

	// Many items of many elements: the newest that fit the budget.
	mid := strings.Repeat("<category>x</category>", 999)
	var b strings.Builder
	b.WriteString(rssHead)
	for i := 1; i <= 80; i++ {
		fmt.Fprintf(&b, "<item><title>Story %d</title>%s</item>\n", i, mid)
	}
	b.WriteString("</channel></rss>")
	p, err = parseBody(t, b.String(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(p.feed.Items); n == 0 || n >= 50 || p.feed.Items[0].Title != "Story 1" {
		t.Errorf("%d items from %q; want the first that fit %d elements", n, titles(p), maxFeedElements)
	}

	_, err = parseBody(t, rssHead+strings.Repeat("<category>x</category>", maxOutsideElements+1)+rssItems(1, 1)+"</channel></rss>", 100)
	if err == nil || !strings.Contains(err.Error(), "outside the items") {
		t.Errorf("a feed of %d categories: %v", maxOutsideElements+1, err)
	}
}
