package source

import (
	"strings"
	"testing"
)

func TestNormalizeText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"blank lines only", "\n \t\n\r\n", ""},
		{"crlf and runs", "a  b\r\n\r\n\r\n\r\nc\td", "a b\n\nc d"},
		{"bullets kept", "  • one  \n  • two\n\nText", "• one\n• two\n\nText"},
		{"nbsp and zero width", "a\u00a0\u00a0b\u200bc", "a b c"},
		{"bom and control", "\uFEFFTitle\x00\x07 here", "Title here"},
		{"invalid utf8", "caf\xe9", "caf\uFFFD"},
		{"cr only", "a\rb", "a\nb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := normalizeText(tt.in); got != tt.want {
				t.Errorf("normalizeText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestHTMLToText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"paragraphs", "<p>One  two</p><p>Three</p>", "One two\n\nThree"},
		{"br", "a<br>b<br/>c", "a\nb\nc"},
		{"inline", "<p>a <b>bold</b> <a href='x'>link</a>.</p>", "a bold link."},
		{"entities", "<p>Fish &amp; chips &eacute; &#8217;</p>", "Fish & chips é ’"},
		{"script style", "<p>x</p><script>var a = '<p>no</p>';</script><style>p{}</style><p>y</p>", "x\n\ny"},
		{"list", "<ul>\n<li>one</li>\n<li>two</li>\n</ul><p>after</p>", "• one\n• two\n\nafter"},
		{"pre", "<pre>  a\n    b</pre>", "a\nb"},
		{"unclosed", "<div><p>open <b>bold", "open bold"},
		{"comment and cdata", "<!-- hidden --><p>shown</p>", "shown"},
		{"plain text", "just text", "just text"},
		{"table", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"},
		{"nested skip", "<svg><g><text>no</text></g></svg>ok", "ok"},
		{"headings", "<h2>Head</h2>body", "Head\n\nbody"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := htmlToText(strings.NewReader(tt.in)); got != tt.want {
				t.Errorf("htmlToText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFeedText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Line one\nLine two\n\nPara &amp; more", "Line one\nLine two\n\nPara & more"},
		{"<p>Para</p><p>Two</p>", "Para\n\nTwo"},
		{"&lt;p&gt;escaped markup&lt;/p&gt;", "escaped markup"},
		{"a < b and c > d", "a < b and c > d"},
	}
	for _, tt := range tests {
		if got := feedText(tt.in); got != tt.want {
			t.Errorf("feedText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzHTMLToText(f *testing.F) {
	f.Add("<p>a</p><ul><li>b</li></ul><pre>c</pre>")
	f.Add("<svg><script>")
	f.Fuzz(func(t *testing.T, s string) {
		out := htmlToText(strings.NewReader(s))
		if strings.Contains(out, "\n\n\n") {
			t.Errorf("three newlines in %q", out)
		}
	})
}

func TestUnwrap(t *testing.T) {
	wrappedPara := "The new tram line linking the main station with the university campus opened on\n" +
		"Wednesday, two months ahead of schedule and within its budget of 92 million euros,\n" +
		"the transport authority said."
	cases := []struct{ name, in, want string }{
		{"hard-wrapped paragraphs are joined", wrappedPara + "\n\n" + wrappedPara,
			strings.ReplaceAll(wrappedPara, "\n", " ") + "\n\n" + strings.ReplaceAll(wrappedPara, "\n", " ")},
		{"list items keep their lines", wrappedPara + "\n\n• first highlight of the story, long enough to matter here\n• second highlight of the story, also long enough to count",
			strings.ReplaceAll(wrappedPara, "\n", " ") + "\n\n• first highlight of the story, long enough to matter here\n• second highlight of the story, also long enough to count"},
		{"a paragraph per line is left alone", strings.Repeat("A long paragraph that runs on for well over one hundred and twenty characters, as scraped news text does, with no wrapping. ", 2) + "\n\nNext.",
			strings.Repeat("A long paragraph that runs on for well over one hundred and twenty characters, as scraped news text does, with no wrapping. ", 2) + "\n\nNext."},
		{"short lines are not prose", "Line one\nLine two\nLine three", "Line one\nLine two\nLine three"},
	}
	for _, c := range cases {
		if got := unwrap(c.in); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}
