package newsletter

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/store"
)

// 55,000 copies of one item merged into one entry made a 6.4 MB email, one
// link for each; the email now names the first few and counts the rest.
func TestOtherReportsAreBounded(t *testing.T) {
	n := newTestNewsletter(t, openStore(t), testOptions(t))
	e := store.Entry{ID: 1, Title: "One story", URL: "https://news.example/story", Source: "News",
		Summary: []string{"It happened."}, IssueNumber: 1}
	for i := range 55000 {
		e.Also = append(e.Also, store.Link{Title: "One story", URL: fmt.Sprintf("https://copy.example/%d", i), Source: fmt.Sprintf("Copy %d", i)})
	}
	r, err := n.renderIssue(mailing{Issue: store.Issue{Number: 1, Title: "Issue 1", CreatedAt: time.Now(), Entries: []store.Entry{e}}}, false)
	if err != nil {
		t.Fatal(err)
	}
	html, text := r.personalize("reader@example.com", "Reader", "https://bulletin.example/unsubscribe", "https://bulletin.example/preferences")
	for name, body := range map[string]string{"html": html, "text": text} {
		t.Logf("%s body: %d bytes", name, len(body))
		if len(body) > 20<<10 {
			t.Errorf("%s body is %d bytes", name, len(body))
		}
		if got := strings.Count(body, "https://copy.example/"); got != maxAlso {
			t.Errorf("%s links %d other reports, want %d", name, got, maxAlso)
		}
		if !strings.Contains(body, fmt.Sprintf("%d more", 55000-maxAlso)) {
			t.Errorf("%s does not count the other reports left out:\n%s", name, body)
		}
	}
}

// An entry that continues an earlier issue's story names it in both parts,
// with a link to it and one to the story's page.
func TestEarlierEntryShowsInBothParts(t *testing.T) {
	opts := testOptions(t)
	opts.EntryAnchor = func(key string) string { return "e-" + strings.TrimPrefix(key, "https://news.example/") }
	n := newTestNewsletter(t, openStore(t), opts)
	e := store.Entry{ID: 7, Title: "Tram line closes <for> repairs", URL: "https://news.example/closes", Source: "News",
		Summary: []string{"It closes."}, IssueNumber: 4, StoryID: 3,
		Earlier: &store.Earlier{ID: 3, Title: "Tram line opens & runs", IssueNumber: 2, ArticleKey: "https://news.example/opens"}}
	plain := store.Entry{ID: 8, Title: "Bakery wins", URL: "https://news.example/bakery", Summary: []string{"It won."}, IssueNumber: 4}
	r, err := n.renderIssue(mailing{Issue: store.Issue{Number: 4, Title: "Issue 4", CreatedAt: time.Now(), Entries: []store.Entry{e, plain}}}, false)
	if err != nil {
		t.Fatal(err)
	}
	html, text := r.personalize("reader@example.com", "Reader", "https://bulletin.example/unsubscribe", "https://bulletin.example/preferences")
	site := strings.TrimSuffix(opts.SiteURL, "/")
	for name, want := range map[string][]string{
		// The links carry inlined styles after their href.
		"html": {`Earlier: <a href="` + site + `/issues/2/#e-opens"`, `>Tram line opens &amp; runs</a> (` + n.siteData().Title + ` #2)`,
			`<a href="` + site + `/stories/3/"`, `>Follow the story</a>`},
		"text": {"Earlier: Tram line opens & runs (" + n.siteData().Title + " #2) " + site + "/issues/2/#e-opens"},
	} {
		body := map[string]string{"html": html, "text": text}[name]
		if name == "text" {
			body = strings.Join(strings.Fields(body), " ") // as wrapped
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s part lacks %q:\n%s", name, w, body)
			}
		}
		if c := strings.Count(body, "Earlier:"); c != 1 {
			t.Errorf("%s part: %d back-links, want 1 (the other entry continues nothing)", name, c)
		}
	}
}
