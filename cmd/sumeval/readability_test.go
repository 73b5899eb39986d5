package main

import "testing"

func TestOpensDangling(t *testing.T) {
	cases := map[string]bool{
		"He said the vote would stand.":              true,
		"'But we will fight on,' she said.":          true,
		"However, the council disagreed.":            true,
		"Its chairman resigned on Monday.":           true,
		"They’re back.":                              true,
		"Heathrow is to get a third runway.":         false,
		"The council approved the bridge on Monday.": false,
		"Thistle won the cup.":                       false,
		"":                                           false,
		"2015 was the warmest year.":                 false,
		"(CNN)They may not be aliens.":               true,
		"LONDON, England (CNN) -- It rained.":        true,
		"(CNN)Gary Locke will stay.":                 false,
	}
	for s, want := range cases {
		if got := opensDangling(s); got != want {
			t.Errorf("opensDangling(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestReadabilityFindsARepeatedSentenceInOrder(t *testing.T) {
	// The second sentence also appears earlier, in a caption.
	article := "Work starts in May The council approved the bridge on Monday. Work starts in May."
	var r readability
	r.add(article, []string{"The council approved the bridge on Monday.", "Work starts in May."}, nil, nil)
	if r.outOfOrder != 0 {
		t.Error("a sentence that also occurs earlier was taken for one out of order")
	}
	var cut readability
	cut.add("The council approved it. Reds have captain Steven Gerrard (centre) back for their semi-final on Sunday.",
		[]string{"The council approved it.", "Reds have captain Steven Gerrard back for their semi-final on Sunday."}, nil, nil)
	if cut.outOfOrder != 0 {
		t.Error("a sentence with a photo pointer cut was not found")
	}
	var r2 readability
	r2.add("The council approved the bridge. Work starts in May.", []string{"Work starts in May.", "The council approved the bridge."}, nil, nil)
	if r2.outOfOrder != 1 {
		t.Error("a reordered summary was not seen")
	}
}

func TestReadability(t *testing.T) {
	article := "The council approved the bridge on Monday. It will cost 40 million euros.\n\n" +
		"Work starts in May. But opponents said the levy would hurt shops."
	kept := []string{"The council approved the bridge on Monday.", "It will cost 40 million euros.",
		"Work starts in May.", "But opponents said the levy would hurt shops."}
	lead := kept[:3]
	cases := []struct {
		name                                         string
		summary                                      []string
		opens, any, unordered, sameLead, clean, lede bool
	}{
		{"lead", lead, false, false, false, true, true, true},
		{"pronoun first", kept[1:3], true, true, false, false, false, false},
		{"connective after a gap", []string{kept[0], kept[3]}, false, true, false, false, false, true},
		{"connective after its predecessor", []string{kept[0], kept[2], kept[3]}, false, false, false, false, false, true},
		{"reordered", []string{kept[2], kept[0]}, false, false, true, false, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r readability
			r.add(article, tc.summary, kept, lead)
			got := [6]bool{r.opensDangling == 1, r.anyDangling == 1, r.outOfOrder == 1, r.sameAsLead3 == 1, r.sameAsLead3Clean == 1, r.ledeKept == 1}
			want := [6]bool{tc.opens, tc.any, tc.unordered, tc.sameLead, tc.clean, tc.lede}
			if got != want {
				t.Errorf("opens, any, unordered, =lead3, =lead3clean, lede = %v, want %v", got, want)
			}
		})
	}
}
