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
