package newsletter

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/net/html"

	"github.com/bulletin-app/bulletin/internal/smtptest"
	"github.com/bulletin-app/bulletin/source"
	"github.com/bulletin-app/bulletin/store"
)

// TestTextPartCarriesWhatTheHTMLDoes holds every email's plain-text part
// to its HTML part: each word a reader sees in the HTML (titles, summaries,
// sources, the intro, the footer) and each link and picture it points to
// are in the text too. Checked on an issue with an image and other
// reports, a weekly digest, the confirmation and the welcome, as the SMTP
// server received them.
func TestTextPartCarriesWhatTheHTMLDoes(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	// An image, and another report of the same story, for the first entry.
	if _, err := st.SaveArticle(ctx, source.Article{Key: "https://example.org/a", URL: "https://example.org/a", Title: "Tides & <moons>", Author: "Ana",
		Source: "Example", Text: "The moon pulls the sea. Tides follow.", Published: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		Image: source.Image{URL: "https://images.example.org/moon.jpg", Width: 800, Height: 600, Alt: "The full moon over a bay"}}, false); err != nil {
		t.Fatal(err)
	}
	addSubscribers(t, st, 1)
	srv := smtptest.Start(t)
	o := smtpOptions(t, srv)
	o.Images = true
	n := newTestNewsletter(t, st, o)
	if _, err := n.Send(ctx, SendRequest{}); err != nil {
		t.Fatal(err)
	}
	sub, _ := st.SubscriberByEmail(ctx, "user00001@example.org")
	if err := st.SetPreferences(ctx, sub.ID, store.CadenceWeekly, time.Time{}); err != nil {
		t.Fatal(err)
	}
	w, err := n.BuildWeekly(ctx, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Send(ctx, SendRequest{Issue: w.Number}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Subscribe(ctx, "new@example.org", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := n.sendWelcome(ctx, "user00001@example.org"); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 4 {
		t.Fatalf("%d messages, want the issue, the digest, a confirmation and a welcome", len(msgs))
	}
	for i, what := range []string{"issue", "weekly digest", "confirmation", "welcome"} {
		pm := parseMessage(t, msgs[i].Data)
		words, links := visible(t, pm.html)
		text := strings.ToLower(pm.text)
		textWords := map[string]bool{}
		for _, w := range strings.FieldsFunc(text, notWord) {
			textWords[w] = true
		}
		for _, w := range words {
			if !textWords[w] {
				t.Errorf("%s: %q is in the HTML, not in the text", what, w)
			}
		}
		for _, l := range links {
			if !strings.Contains(pm.text, l) {
				t.Errorf("%s: the HTML links %s, the text does not", what, l)
			}
		}
		if what == "issue" && !strings.Contains(pm.html, "images.example.org/moon.jpg") {
			t.Errorf("the issue shows no image")
		}
		t.Logf("%s: %d words and %d links of the HTML, all in the text", what, len(words), len(links))
	}
}

func notWord(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// visible returns the words of an HTML body a reader sees (alternative
// texts included), lower-cased, and the URLs of its links and pictures.
func visible(t *testing.T, body string) (words, links []string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	add := func(s string) {
		for _, w := range strings.FieldsFunc(strings.ToLower(s), notWord) {
			if !seen[w] {
				seen[w] = true
				words = append(words, w)
			}
		}
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "head" || n.Data == "style" || n.Data == "title") {
			return
		}
		if n.Type == html.TextNode {
			add(n.Data)
		}
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				switch {
				case a.Key == "href" || (a.Key == "src" && n.Data == "img"):
					links = append(links, a.Val)
				case a.Key == "alt":
					add(a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return words, links
}
