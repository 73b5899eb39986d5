package digest

import (
	"os"
	"strings"
	"testing"
)

func readFixture(t testing.TB, name string) Document {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	title, text, _ := strings.Cut(string(b), "\n")
	return Document{Title: strings.TrimSpace(title), Text: text}
}

func TestCleanNoisyArticle(t *testing.T) {
	doc := readFixture(t, "noisy_article.txt")
	c := clean(doc.Title, doc.Text)
	var got []string
	for _, s := range c.sentences {
		got = append(got, s.text)
	}
	all := strings.Join(got, "\n")
	for _, bad := range []string{
		"Harbour town votes",   // the title
		"By Jane Holloway",     // byline
		"Published:",           // dateline
		"Scroll down",          // video prompt
		"storm dama",           // alt text cut mid-word
		"is pictured from",     // caption with a credit line
		"Coastal Press Agency", // photo credit
		"Wrecked:",             // labelled caption (twice)
		"Happy day:",           // labelled caption
		"Share this",           // share prompt
		"comments below",       // comment-section footer
		"house rules",          // comment-section footer
	} {
		if strings.Contains(all, bad) {
			t.Errorf("cleaned text still has %q:\n%s", bad, all)
		}
	}
	want := []string{
		"Residents of Port Alder voted on Tuesday to rebuild the town's Victorian pier, which was wrecked by a storm in January, ending a campaign that began three decades ago.",
		"Its chairman, Dr. Owen Pike, said the group would not challenge the vote.",
		"Engineers will rebuild it to 410 metres, its original length, using steel piles instead of cast iron.",
	}
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("cleaned text lost %q:\n%s", w, all)
		}
	}
	if got[0] != want[0] {
		t.Errorf("first sentence = %q, want the lead", got[0])
	}
}

func TestCleanHighlights(t *testing.T) {
	text := "  • Council approved the bridge on Monday\n  • Work starts in May and takes three years\n\n" +
		"The city council approved plans for a new bridge over the river on Monday.\n\n" +
		"The plan lists the steps:\n- survey the river bed first\n- then build the piers\n"
	c := clean("", text)
	if len(c.highlights) != 2 || c.highlights[0] != "Council approved the bridge on Monday" {
		t.Fatalf("highlights = %q", c.highlights)
	}
	for _, s := range c.sentences {
		if strings.Contains(s.text, "survey") {
			t.Errorf("list item kept as a sentence: %q", s.text)
		}
	}
}

func TestCleanInlineCaptions(t *testing.T) {
	// Captions glued into one paragraph without full stops, as text extracted
	// from a page often has them.
	text := "(CNN)Gary Locke will be confirmed as the club's permanent manager on Friday. " +
		"The club will confirm Gary Locke as its new manager on Friday He has impressed the chairman with results. " +
		"Scroll down for video Strictly business: Locke watches from the touchline during the win over Hearts " +
		"The team went unbeaten in six games under him."
	c := clean("", text)
	var got []string
	for _, s := range c.sentences {
		got = append(got, s.text)
	}
	want := []string{
		"Gary Locke will be confirmed as the club's permanent manager on Friday.",
		"He has impressed the chairman with results.",
		"The team went unbeaten in six games under him.",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("sentences\n got %q\nwant %q", got, want)
	}
}

func TestCleanPageHeaders(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"byline and time stamps",
			"By . Daily Mail Reporter . PUBLISHED: . 10:03 EST, 1 March 2013 . | . UPDATED: . 10:08 EST, 1 March 2013 . " +
				"A man was arrested on Monday after police found stolen goods in his home.",
			"A man was arrested on Monday after police found stolen goods in his home."},
		{"byline and last update",
			"By . Jill Reilly . Last updated at 5:13 PM on 12th July 2011 . The council approved the new bridge on Monday after a long debate.",
			"The council approved the new bridge on Monday after a long debate."},
		{"place and agency",
			"LONDON, England (CNN) -- The council approved the new bridge on Monday after a long debate.",
			"The council approved the new bridge on Monday after a long debate."},
		{"caption glued before a number",
			"Sister Gertrud (not pictured) was found in her bedroom, with a towel on her face An 86-year-old nun was found dead in her bedroom.",
			"An 86-year-old nun was found dead in her bedroom."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := clean("", tc.text)
			if len(c.sentences) != 1 || c.sentences[0].text != tc.want {
				var got []string
				for _, s := range c.sentences {
					got = append(got, s.text)
				}
				t.Errorf("sentences = %q, want only %q", got, tc.want)
			}
		})
	}
}
