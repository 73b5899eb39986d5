package design

import (
	"strings"
	"testing"
)

// TestThemesKeepAAContrast derives themes from accents across the range,
// pale and dark, and checks every pair of text and background that pages
// and emails show, in both themes, with WCAG 2's formula.
func TestThemesKeepAAContrast(t *testing.T) {
	for _, accent := range []string{"", "#c2410c", "#ffff00", "#fff", "#000000", "#0b57d0", "#22c55e", "#777777", "#ff0000", "#1a1a1a", "#f0f0f0"} {
		th, err := NewTheme(accent)
		if err != nil {
			t.Fatalf("%q: %v", accent, err)
		}
		for name, p := range map[string]Palette{"light": th.Light, "dark": th.Dark} {
			for _, pair := range [][2]string{
				{p.Text, p.Background}, {p.Text, p.Surface}, {p.Muted, p.Background}, {p.Muted, p.Surface},
				{p.Link, p.Background}, {p.Link, p.Surface}, {p.ButtonText, p.Button},
			} {
				if c := Contrast(mustColor(pair[0]), mustColor(pair[1])); c < MinContrast {
					t.Errorf("accent %q, %s theme: %s on %s has contrast %.2f, want %.1f", accent, name, pair[0], pair[1], c, MinContrast)
				}
			}
		}
	}
}

// TestReadableAccentStays: an accent readable as it is is not changed, so
// that the operator's colour is the one readers see.
func TestReadableAccentStays(t *testing.T) {
	th := MustTheme("#1d4ed8") // 6.7:1 on white
	if th.Light.Link != "#1d4ed8" {
		t.Errorf("light link %s, want the accent itself", th.Light.Link)
	}
	if th.Dark.Link == "#1d4ed8" {
		t.Errorf("dark link kept a colour too dark for a dark page")
	}
}

func TestParseColor(t *testing.T) {
	for in, want := range map[string]string{"#ABC": "#aabbcc", "#0b57d0": "#0b57d0", " #FFFFFF ": "#ffffff"} {
		c, err := ParseColor(in)
		if err != nil || c.String() != want {
			t.Errorf("ParseColor(%q) = %v, %v; want %s", in, c, err, want)
		}
	}
	for _, in := range []string{"", "red", "#12", "#12345g", "0b57d0", "#0b57d0;}", "url(x)"} {
		if _, err := ParseColor(in); err == nil {
			t.Errorf("ParseColor(%q) took it", in)
		}
	}
}

func TestStylesheetCannotCloseItsElement(t *testing.T) {
	css := string(MustTheme("").Stylesheet("p { color: red } </style><script>x</script>"))
	if strings.Contains(css, "</style") {
		t.Errorf("the sheet closes its element: %s", css)
	}
}

func TestFavicon(t *testing.T) {
	svg := string(MustTheme("#0b57d0").Favicon("  bulletin"))
	if !strings.Contains(svg, ">B</text>") || !strings.Contains(svg, `fill="#0b57d0"`) {
		t.Errorf("favicon: %s", svg)
	}
	if svg := string(MustTheme("").Favicon("<&>")); strings.Contains(svg, "<&") {
		t.Errorf("favicon letter not escaped: %s", svg)
	}
}
