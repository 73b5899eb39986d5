package markdown

import (
	"strings"
	"testing"
)

func TestHTML(t *testing.T) {
	for _, tc := range []struct {
		name, src  string
		want, must []string // substrings that must be there, and must not
	}{
		{"emphasis and a link", "Hello, *readers*: see [the map](https://example.org/map).",
			[]string{"<em>readers</em>", `<a href="https://example.org/map">the map</a>`}, []string{"nofollow"}},
		{"a list", "- one\n- two", []string{"<ul>", "<li>one</li>"}, nil},
		{"a bare address becomes a link", "See https://example.org/x", []string{`<a href="https://example.org/x">`}, nil},
		{"raw HTML is not rendered", "Hi <script>alert(1)</script> <b onclick=\"x()\">bold</b>", []string{"Hi"}, []string{"<script", "alert(1)</script>", "onclick"}},
		{"javascript links are dropped", "[click](javascript:alert(1))", []string{"click"}, []string{"javascript:"}},
		{"an image with an event handler", `![x](https://example.org/i.png "t")`, []string{`src="https://example.org/i.png"`}, []string{"onerror"}},
	} {
		got := HTML(tc.src)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", tc.name, got, w)
			}
		}
		for _, m := range tc.must {
			if strings.Contains(got, m) {
				t.Errorf("%s: %q holds %q", tc.name, got, m)
			}
		}
	}
	if got := HTML(" \r\n\t"); got != "" {
		t.Errorf("blank source: %q", got)
	}
}

func TestNormalize(t *testing.T) {
	for src, want := range map[string]string{
		"\r\n\r\nLine one  \r\nline two\r\n\r\n": "Line one  \nline two",
		"  \n\t\n":                               "",
		"a\rb":                                   "a\nb",
	} {
		if got := Normalize(src); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", src, got, want)
		}
	}
}
