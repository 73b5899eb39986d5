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

func cleanedTexts(title, text string) []string {
	var got []string
	for _, s := range clean(title, text).sentences {
		got = append(got, s.text)
	}
	return got
}

// TestCleanKeepsTheLedeAfterAGluedCaption covers photo captions that run
// into the story's first sentence with no full stop between them: the
// caption goes, the lede stays.
func TestCleanKeepsTheLedeAfterAGluedCaption(t *testing.T) {
	cases := []struct{ name, text, first string }{
		{"labelled caption before an article",
			"Accused: Dr Helen Marsh, 41, has denied three counts of fraud A senior surgeon accused of billing patients for operations that never took place told a court on Monday that she was innocent. The trial continues next week at Leeds Crown Court.",
			"A senior surgeon accused of billing patients for operations that never took place told a court on Monday that she was innocent."},
		{"labelled caption before a common opener",
			"Wanted: Officers have issued a warrant for a 30-year-old driving instructor from Leeds Police in Yorkshire have launched a search for a driving instructor who failed to appear in court. He was last seen on Friday.",
			"Police in Yorkshire have launched a search for a driving instructor who failed to appear in court."},
		{"labelled caption before a number",
			"Back home: The mayor, 62, greets residents outside the town hall An 80-year-old woman has been named the town's first honorary citizen after seventy years of volunteering.",
			"An 80-year-old woman has been named the town's first honorary citizen after seventy years of volunteering."},
		{"labelled caption before a name",
			"Honoured: The actress arrives at the palace with her husband and her two daughters The Duchess of Kent presented the awards to twelve nurses at a ceremony on Tuesday.",
			"The Duchess of Kent presented the awards to twelve nurses at a ceremony on Tuesday."},
		{"captions glued to a quotation",
			"Sherwood sits on the bench with his staff at White Hart Lane Ferdinand and Ramsey watch from the stand 'I think this is the biggest game these players have ever had,' he said on Friday.",
			"'I think this is the biggest game these players have ever had,' he said on Friday."},
		{"unlabelled caption before a pronoun",
			"The former champion was pictured at a charity gala in Miami last month He was once the best-paid boxer in the world, with a fortune of $15million.",
			"He was once the best-paid boxer in the world, with a fortune of $15million."},
		{"share bar glued to the lede",
			"Share this withEmailFacebookMessengerTwitterWhatsAppLinkedinCopy this linkThe council approved the new bridge on Monday after a long debate.",
			"The council approved the new bridge on Monday after a long debate."},
		{"player notice glued to the lede",
			"Media playback is unsupported on your deviceThe striker scored twice in the second half to win the match.",
			"The striker scored twice in the second half to win the match."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := cleanedTexts("", tc.text)
			if len(got) == 0 || got[0] != tc.first {
				t.Errorf("sentences = %q\nwant first %q", got, tc.first)
			}
		})
	}
}

// TestCleanKeepsStorySentences covers sentences that look like furniture or
// captions to a careless rule and are news.
func TestCleanKeepsStorySentences(t *testing.T) {
	for _, s := range []string{
		"The book, Fall of an Empire: The Story of a Queen, was published on Friday to wide acclaim.",
		"The senator has won the backing of the party's women's caucus in her bid for the White House: The group endorsed her on Monday.",
		"The Scottish National Party (SNP) won 40 of the 59 seats in the election on Thursday.",
		"The channel now has 2.8 million subscribers after six years of make-up tutorials.",
		"The agency accused the country of running a state-sponsored doping programme for years.",
		"The band lost a copyright case over the chorus of its biggest hit in 2015.",
		"Hundreds of fans follow him on his morning runs along the beach every day.",
		"The charity uses Facebook, Twitter and Instagram to reach young people who need help.",
		"The word café comes from the French for coffee, the mayor told the crowd.",
		"The fans had a new chant 'We are staying up' for the last game of the season.",
		"He told reporters 'It is over' before leaving the court on Monday afternoon.",
		"The film, dubbed 'The Great Escape' by critics, opens on Friday in London.",
		"Those five words make everyone think of Don McLean's pop masterpiece \"American Pie.\"",
	} {
		if got := cleanedTexts("", s); len(got) != 1 || got[0] != s {
			t.Errorf("clean(%q) = %q, want it kept whole", s, got)
		}
	}
	for _, s := range []string{
		"Follow him on Twitter for the latest updates from the court.",
		"Sign up for our newsletter to get the news every morning.",
		"Sponsored content from our partners appears below this article.",
		"Subscribe to the Sport newsletter to get our pick of the news.",
	} {
		if got := cleanedTexts("", s); len(got) != 0 {
			t.Errorf("clean(%q) kept furniture: %q", s, got)
		}
	}
}

func TestCleanCutsPhotoPointers(t *testing.T) {
	cases := map[string]string{
		"The mayor's wife (pictured) said the council had ignored the town for years.":         "The mayor's wife said the council had ignored the town for years.",
		"The minister (left) and her deputy (far right) visited the flooded school on Monday.": "The minister and her deputy visited the flooded school on Monday.",
		"The striker (pictured with his son last year) signed a new contract on Friday.":       "The striker signed a new contract on Friday.",
		"The Left Party (Die Linke) won 9 per cent of the vote in the state election.":         "The Left Party (Die Linke) won 9 per cent of the vote in the state election.",
		"The road was closed between junctions 4 and 5 (above) for most of the morning.":       "The road was closed between junctions 4 and 5 for most of the morning.",
	}
	for in, want := range cases {
		if got := cleanedTexts("", in); len(got) != 1 || got[0] != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
}
