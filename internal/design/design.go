// Package design is bulletin's look, shared by every page it serves, every
// email it sends and the editor's desk: a small set of tokens (colours for
// a light and a dark theme, derived from the site's accent so that text
// keeps WCAG AA contrast, and a type scale and spacing in the style sheet
// templates/style.css uses), the style sheet put together from them, and
// the favicon.
package design

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"unicode/utf8"
)

// DefaultAccent is the accent colour of site.accent when none is set.
const DefaultAccent = "#c2410c"

// MinContrast is the contrast ratio WCAG 2 level AA asks of body text
// against its background; every text colour of a Theme meets it, with a
// little to spare so that rounding in a browser cannot take it below.
const MinContrast = 4.5

// target is the contrast the derived colours aim at.
const target = 4.6

// Color is an sRGB colour.
type Color struct{ R, G, B uint8 }

// ParseColor reads a colour written as CSS hex: #rgb or #rrggbb.
func ParseColor(s string) (Color, error) {
	h, ok := strings.CutPrefix(strings.TrimSpace(s), "#")
	if !ok || (len(h) != 3 && len(h) != 6) {
		return Color{}, fmt.Errorf("%q is not a colour written as #rrggbb or #rgb", s)
	}
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	var v [3]uint8
	for i := range v {
		var b uint8
		for _, c := range []byte(h[2*i : 2*i+2]) {
			var d byte
			switch {
			case c >= '0' && c <= '9':
				d = c - '0'
			case c >= 'a' && c <= 'f':
				d = c - 'a' + 10
			case c >= 'A' && c <= 'F':
				d = c - 'A' + 10
			default:
				return Color{}, fmt.Errorf("%q is not a colour written as #rrggbb or #rgb", s)
			}
			b = b<<4 | d
		}
		v[i] = b
	}
	return Color{v[0], v[1], v[2]}, nil
}

func mustColor(s string) Color {
	c, err := ParseColor(s)
	if err != nil {
		panic(err)
	}
	return c
}

// String writes c as CSS: #rrggbb.
func (c Color) String() string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// luminance is WCAG 2's relative luminance.
func (c Color) luminance() float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}

// Contrast is WCAG 2's contrast ratio of two colours, from 1 to 21.
func Contrast(a, b Color) float64 {
	la, lb := a.luminance(), b.luminance()
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// mix is a + (b - a) * t, channel by channel.
func mix(a, b Color, t float64) Color {
	ch := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + (float64(y)-float64(x))*t)) }
	return Color{ch(a.R, b.R), ch(a.G, b.G), ch(a.B, b.B)}
}

// readableOn moves c toward toward (black on light backgrounds, white on
// dark ones) by the least step that gives it the target contrast against
// every one of backgrounds: a colour that has it already stays as it is.
func readableOn(c, toward Color, backgrounds ...Color) Color {
	ok := func(x Color) bool {
		for _, bg := range backgrounds {
			if Contrast(x, bg) < target {
				return false
			}
		}
		return true
	}
	for i := 0; i <= 100; i++ {
		if x := mix(c, toward, float64(i)/100); ok(x) {
			return x
		}
	}
	return toward
}

// Palette is one theme's colours, as CSS hex.
type Palette struct {
	Background string // the page
	Surface    string // panels on it: the sign-up box, the email's frame
	Text       string
	Muted      string // dates, sources, the footer
	Rule       string // lines between parts (decoration only)
	Accent     string // the accent as configured, for decoration: the masthead's bar
	Link       string // links, on Background and Surface
	Button     string // a button's face
	ButtonText string // text on Button
}

// Theme is the light and the dark palette of one accent colour.
type Theme struct {
	Light, Dark Palette
}

// The neutral colours of both themes: warm greys, like paper and ink.
var (
	lightBG, lightSurface = mustColor("#ffffff"), mustColor("#f6f4ef")
	lightText, lightMuted = mustColor("#1c1917"), mustColor("#57534e")
	lightRule             = mustColor("#e2ded6")
	darkBG, darkSurface   = mustColor("#171614"), mustColor("#22201d")
	darkText, darkMuted   = mustColor("#f5f4f1"), mustColor("#aaa49c")
	darkRule              = mustColor("#3a3632")
	black, white          = mustColor("#000000"), mustColor("#ffffff")
)

// NewTheme derives both palettes from an accent colour (#rrggbb or #rgb;
// "" is DefaultAccent). Links and buttons take the accent, darkened in the
// light theme and lightened in the dark one as far as WCAG AA contrast
// needs and no further: an accent that is readable as it is stays itself.
func NewTheme(accent string) (Theme, error) {
	if accent == "" {
		accent = DefaultAccent
	}
	a, err := ParseColor(accent)
	if err != nil {
		return Theme{}, err
	}
	lightLink := readableOn(a, black, lightBG, lightSurface)
	darkLink := readableOn(a, white, darkBG, darkSurface)
	return Theme{
		Light: Palette{
			Background: lightBG.String(), Surface: lightSurface.String(), Text: lightText.String(),
			Muted: lightMuted.String(), Rule: lightRule.String(), Accent: a.String(),
			Link: lightLink.String(), Button: lightLink.String(),
			// White on the link colour: as readable as the link on white.
			ButtonText: readableOn(white, black, lightLink).String(),
		},
		Dark: Palette{
			Background: darkBG.String(), Surface: darkSurface.String(), Text: darkText.String(),
			Muted: darkMuted.String(), Rule: darkRule.String(), Accent: a.String(),
			Link: darkLink.String(), Button: darkLink.String(),
			ButtonText: readableOn(darkBG, black, darkLink).String(),
		},
	}, nil
}

// MustTheme is NewTheme for an accent known to be valid.
func MustTheme(accent string) Theme {
	t, err := NewTheme(accent)
	if err != nil {
		panic(err)
	}
	return t
}

// variables writes a palette as the custom properties the style sheet
// uses.
func (p Palette) variables() string {
	return fmt.Sprintf("--bg: %s; --surface: %s; --text: %s; --muted: %s; --rule: %s; --accent: %s; --link: %s; --button: %s; --button-text: %s;",
		p.Background, p.Surface, p.Text, p.Muted, p.Rule, p.Accent, p.Link, p.Button, p.ButtonText)
}

// Variables is the theme as CSS custom properties: the light palette on
// :root, the dark one when the reader's system asks for dark.
func (t Theme) Variables() string {
	return ":root { color-scheme: light dark; " + t.Light.variables() + " }\n" +
		"@media (prefers-color-scheme: dark) { :root { " + t.Dark.variables() + " } }\n"
}

// Stylesheet is a page's style sheet: the theme's variables, then sheet
// (templates/style.css, or the operator's copy of it), which uses them. It
// goes into the page's <style> element, which the Content-Security-Policy
// allows by its hash.
func (t Theme) Stylesheet(sheet string) template.CSS {
	// A sheet cannot end the element it is put in.
	sheet = strings.ReplaceAll(sheet, "</", `<\/`)
	return template.CSS(t.Variables() + sheet)
}

// Favicon is a square SVG icon: the first letter of title, on the accent.
func (t Theme) Favicon(title string) []byte {
	letter := "B"
	if r, _ := utf8.DecodeRuneInString(strings.TrimSpace(title)); r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
		letter = strings.ToUpper(string(r))
	} else if r >= 0x80 && r != utf8.RuneError {
		letter = template.HTMLEscapeString(string(r))
	}
	return []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">` +
		`<rect width="64" height="64" rx="14" fill="` + t.Light.Button + `"/>` +
		`<text x="32" y="45" font-family="Georgia, 'Times New Roman', serif" font-size="40" font-weight="700" text-anchor="middle" fill="` +
		t.Light.ButtonText + `">` + letter + `</text></svg>`)
}
