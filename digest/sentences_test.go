package digest

import (
	"reflect"
	"testing"
)

func TestSplitSentences(t *testing.T) {
	cases := []struct {
		name, in string
		want     []string
	}{
		{"plain", "The vote passed. Work starts soon.", []string{"The vote passed.", "Work starts soon."}},
		{"titles", "Mr. Smith met Dr. Jones. They talked.", []string{"Mr. Smith met Dr. Jones.", "They talked."}},
		{"acronym mid-sentence", "He moved to the U.S. Army base in 2001.", []string{"He moved to the U.S. Army base in 2001."}},
		{"acronym ends sentence", "He moved to the U.S. The move was hard.", []string{"He moved to the U.S.", "The move was hard."}},
		{"month and number", "It opened on Jan. 5 and is No. 2 in the charts. Sales rose.", []string{"It opened on Jan. 5 and is No. 2 in the charts.", "Sales rose."}},
		{"decimals", "Prices rose 3.5 per cent. Wages rose 2.1 per cent.", []string{"Prices rose 3.5 per cent.", "Wages rose 2.1 per cent."}},
		{"initials", "John F. Kennedy was elected. J. K. Rowling wrote it.", []string{"John F. Kennedy was elected.", "J. K. Rowling wrote it."}},
		{"quote ends sentence", "'We won,' he said. 'It was hard.' Then he left.", []string{"'We won,' he said.", "'It was hard.'", "Then he left."}},
		{"curly quotes", "She said: “It is over.” Nobody replied.", []string{"She said: “It is over.”", "Nobody replied."}},
		{"question inside quote", "'Why now?' he asked. Nobody knew.", []string{"'Why now?' he asked.", "Nobody knew."}},
		{"missing space", "The firm was vilified.Dr Venter was not modest.", []string{"The firm was vilified.", "Dr Venter was not modest."}},
		{"missing space after quote", "It was over.'The end came fast.", []string{"It was over.'", "The end came fast."}},
		{"domain is not a boundary", "Read it on example.com today. Or not.", []string{"Read it on example.com today.", "Or not."}},
		{"ellipsis", "He paused... Then he spoke.", []string{"He paused...", "Then he spoke."}},
		{"e.g.", "Some fruit, e.g. apples, are cheap. Others are not.", []string{"Some fruit, e.g. apples, are cheap.", "Others are not."}},
		{"lower case after stop", "It cost $5. and more later.", []string{"It cost $5. and more later."}},
		{"non-ASCII", "Ça a coûté 5 €. Über alles!", []string{"Ça a coûté 5 €.", "Über alles!"}},
		{"letter-and-bang name", "E! News reported the visit. Fans cheered.", []string{"E! News reported the visit.", "Fans cheered."}},
		{"name mid-sentence", "He told E! Online he was fine.", []string{"He told E! Online he was fine."}},
		{"exclamation after a word", "I love this Apple! Luckily it works.", []string{"I love this Apple!", "Luckily it works."}},
		{"letter and bang before an opener", "Take plan B! The rest failed.", []string{"Take plan B!", "The rest failed."}},
		{"missing space after a number", "The party won in 2007.It lost the next poll.", []string{"The party won in 2007.", "It lost the next poll."}},
		{"missing space before A", "Work will resume.A review starts today.", []string{"Work will resume.", "A review starts today."}},
		{"missing space after an acronym", "Talks begin at 10:00 GMT.Ninety delegates came.", []string{"Talks begin at 10:00 GMT.", "Ninety delegates came."}},
		{"missing space after a closing quote", "It is the \"top priority\".He will start soon.", []string{"It is the \"top priority\".", "He will start soon."}},
		{"price ends a sentence", "Tickets cost $3.00. Organisers expect a crowd.", []string{"Tickets cost $3.00.", "Organisers expect a crowd."}},
		{"no split in glued abbreviations", "Mr.Smith flew to the U.S.A.Then ASP.NET crashed at 3.5 per cent.", []string{"Mr.Smith flew to the U.S.A.Then ASP.NET crashed at 3.5 per cent."}},
		{"missing space after a name", "It follows the film Whiplash.The sequel is due in May.", []string{"It follows the film Whiplash.", "The sequel is due in May."}},
		{"empty", "   ", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := SplitSentences(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("SplitSentences(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}
