package bounce

import (
	"strings"
	"testing"
)

func TestVERP(t *testing.T) {
	v := VERP{Secret: []byte("0123456789abcdef0123456789abcdef"), Domain: "bounces.example.org"}
	for _, c := range []struct {
		issue int
		sub   int64
	}{{1, 1}, {52, 100000}, {1 << 30, 1 << 40}, {0, 0}} {
		addr := v.Address(c.issue, c.sub)
		local, domain, _ := strings.Cut(addr, "@")
		if domain != v.Domain || !strings.HasPrefix(local, "bounces+") || len(local) > 64 {
			t.Errorf("Address(%d, %d) = %q", c.issue, c.sub, addr)
		}
		for _, s := range []string{addr, strings.ToUpper(addr), strings.TrimPrefix(local, "bounces+"),
			"SRS0=HHH=TT=" + v.Domain + "=" + local + "@forwarder.example", local + "@rewritten.example"} {
			if is, sub, ok := v.Parse(s); !ok || is != c.issue || sub != c.sub {
				t.Errorf("Parse(%q) = %d, %d, %v; want %d, %d", s, is, sub, ok, c.issue, c.sub)
			}
		}
	}
	if n := len(v.Token(52, 100000)); n > 24 {
		t.Errorf("a token of %d characters is not short", n)
	}

	good := v.Token(3, 7)
	other := VERP{Secret: []byte("another secret, another list...")}
	forged := []string{
		"", "bounces+@x", "bounces+aaaaaaaaaaaaaaaa@x", good[:len(good)-1], good + "a",
		other.Token(3, 7), // signed with another secret
		v.Token(3, 8)[:6] + good[6:],
	}
	// Every single-character change of a good token.
	for i := range good {
		b := []byte(good)
		b[i] = "ab"[map[bool]int{true: 1}[b[i] == 'a']]
		forged = append(forged, string(b))
	}
	for _, s := range forged {
		if is, sub, ok := v.Parse(s); ok {
			t.Errorf("Parse(%q) accepted a token it did not sign: %d, %d", s, is, sub)
		}
	}
}

func FuzzVERP(f *testing.F) {
	v := VERP{Secret: []byte("0123456789abcdef0123456789abcdef"), Domain: "b.example"}
	f.Add(v.Token(1, 1))
	f.Add("bounces+" + v.Token(9, 1<<33) + "@b.example")
	f.Add("zzzz")
	f.Fuzz(func(t *testing.T, s string) {
		is, sub, ok := v.Parse(s)
		if !ok {
			return
		}
		// Whatever parses names the delivery it was made for.
		if is2, sub2, ok2 := v.Parse(v.Token(is, sub)); !ok2 || is2 != is || sub2 != sub {
			t.Fatalf("%q parses to %d/%d, which does not round-trip", s, is, sub)
		}
	})
}

// TestVERPWeeklyDigest: a weekly digest's deliveries (issue numbers below
// zero) get return paths of their own, read back as they were made.
func TestVERPWeeklyDigest(t *testing.T) {
	v := VERP{Secret: []byte("0123456789abcdef0123456789abcdef"), Domain: "bounces.example.org"}
	for _, issue := range []int{-1, -2, -1 << 31, 1, 1<<31 - 1} {
		addr := v.Address(issue, 42)
		got, sub, ok := v.Parse(addr)
		if !ok || got != issue || sub != 42 {
			t.Errorf("issue %d: %s read back as %d, %d, %v", issue, addr, got, sub, ok)
		}
	}
	if v.Token(-1, 42) == v.Token(1, 42) {
		t.Error("a digest and an issue share a return path")
	}
}
