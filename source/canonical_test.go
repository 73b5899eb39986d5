package source

import (
	"errors"
	"testing"
)

func TestCanonicalURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://example.com/a", "https://example.com/a"},
		{"HTTPS://Example.COM/Path/Case", "https://example.com/Path/Case"},
		{"http://example.com:80/a", "http://example.com/a"},
		{"https://example.com:443/a", "https://example.com/a"},
		{"https://example.com:8443/a", "https://example.com:8443/a"},
		{"http://example.com:443/a", "http://example.com:443/a"},
		{"https://example.com", "https://example.com/"},
		{"https://example.com/a#section-2", "https://example.com/a"},
		{"https://example.com/a?", "https://example.com/a"},
		{"https://example.com/a?utm_source=rss&utm_medium=feed&UTM_Campaign=x", "https://example.com/a"},
		{"https://example.com/a?id=7&fbclid=IwAR0&gclid=Cj0&mc_cid=1&mc_eid=2&ref=hn", "https://example.com/a?id=7"},
		{"https://example.com/a?b=2&a=1&c=3", "https://example.com/a?a=1&b=2&c=3"},
		{"https://example.com/a?tag=z&tag=a", "https://example.com/a?tag=z&tag=a"},
		{"https://example.com/a?q=caf%C3%A9+au+lait", "https://example.com/a?q=caf%C3%A9+au+lait"},
		{"https://example.com/a?bad=%zz&a=1", "https://example.com/a?a=1&bad=%zz"},
		{"https://example.com/a/./b/../c", "https://example.com/a/c"},
		{"https://example.com./a", "https://example.com/a"},
		{"  https://example.com/a  ", "https://example.com/a"},
		{"https://[2001:DB8::1]:443/a", "https://[2001:db8::1]/a"},
		{"https://example.com/a%2Fb", "https://example.com/a%2Fb"},
		{"https://example.com/?_hsenc=x&__hstc=y&page=2", "https://example.com/?page=2"},
	}
	for _, tt := range tests {
		got, err := CanonicalURL(tt.in)
		if err != nil {
			t.Errorf("CanonicalURL(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("CanonicalURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
		// Canonical is a fixed point.
		if again, _ := CanonicalURL(got); again != got {
			t.Errorf("CanonicalURL(%q) = %q, not stable", got, again)
		}
	}
}

func TestCanonicalURLSameStory(t *testing.T) {
	a, _ := CanonicalURL("https://News.example.org/2024/story?utm_source=twitter#top")
	b, _ := CanonicalURL("https://news.example.org:443/2024/story?fbclid=abc")
	if a != b {
		t.Errorf("%q != %q", a, b)
	}
}

func TestCanonicalURLRejects(t *testing.T) {
	for _, in := range []string{"", "/relative/path", "mailto:a@example.com", "javascript:alert(1)", "ftp://example.com/x", "https://", "tag:example.com,2024:1", "http://%zz/"} {
		_, err := CanonicalURL(in)
		if err == nil {
			t.Errorf("CanonicalURL(%q): no error", in)
		}
		if in != "http://%zz/" && !errors.Is(err, ErrNotWebURL) {
			t.Errorf("CanonicalURL(%q): %v, want ErrNotWebURL", in, err)
		}
	}
}

func FuzzCanonicalURL(f *testing.F) {
	f.Add("https://Example.com:443/a/../b?utm_x=1&b=2&a=1#f")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := CanonicalURL(s)
		if err != nil {
			return
		}
		if again, err := CanonicalURL(got); err != nil || again != got {
			t.Errorf("not stable: %q -> %q -> %q (%v)", s, got, again, err)
		}
	})
}
