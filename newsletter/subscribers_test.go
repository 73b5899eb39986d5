package newsletter

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/store"
)

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"ann@example.org", "ann@example.org", true},
		{"Ann <Ann@Example.ORG>", "Ann@example.org", true},
		{"root@localhost", "root@localhost", true},
		{"  spaced@example.org ", "spaced@example.org", true},
		{"Ann Lee", "", false},
		{"ann@nodot", "", false},
		{"ann@example.org\r\nBcc: x@y.org", "", false},
		{"ann@exa mple.org", "", false},
		{"ann@-bad.org", "", false},
		{"ann@[127.0.0.1]", "", false},
		{"", "", false},
		{"@example.org", "", false},
		// A local part that needs quoting is refused: it could never be
		// confirmed (the token and links carried it unquoted).
		{`"a b"@example.com`, "", false},
		{`Ann <"a b"@example.com>`, "", false},
		{`"a@b"@example.com`, "", false},
		{`"a\"b"@example.com`, "", false},
		{`".ann"@example.com`, "", false},
		{`"ann"@example.com`, "ann@example.com", true}, // quotes that change nothing
		{"o'brien+news@example.com", "o'brien+news@example.com", true},
		{"jörg@example.com", "jörg@example.com", true},
	}
	for _, tt := range tests {
		a, err := ParseAddress(tt.in)
		if tt.ok != (err == nil) {
			t.Errorf("ParseAddress(%q) error %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if err != nil && !errors.Is(err, ErrInvalidAddress) {
			t.Errorf("ParseAddress(%q): %v does not wrap ErrInvalidAddress", tt.in, err)
		}
		if err == nil && a.Address != tt.want {
			t.Errorf("ParseAddress(%q) = %q, want %q", tt.in, a.Address, tt.want)
		}
	}
}

func TestSubscriberCommands(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	if _, err := AddSubscriber(ctx, st, "Ann <ann@example.org>", "", true); err != nil {
		t.Fatal(err)
	}
	if _, err := AddSubscriber(ctx, st, "ANN@example.org", "", false); !errors.Is(err, ErrExists) {
		t.Fatalf("adding twice: %v", err)
	}
	if _, err := AddSubscriber(ctx, st, "bad", "", false); !errors.Is(err, ErrInvalidAddress) {
		t.Fatalf("invalid address: %v", err)
	}
	if _, err := AddSubscriber(ctx, st, "bo@example.org", "Bo", false); err != nil {
		t.Fatal(err)
	}
	var confirmed []string
	if err := ListSubscribers(ctx, st, "confirmed", func(s store.Subscriber) error {
		confirmed = append(confirmed, s.Email+"/"+s.Name)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(confirmed, ",") != "ann@example.org/Ann" {
		t.Fatalf("confirmed: %v", confirmed)
	}
	if err := ListSubscribers(ctx, st, "sleeping", nil); err == nil {
		t.Fatal("unknown status accepted")
	}
	// Removing unsubscribes; the address stays known, so nothing adds it
	// again.
	if sub, changed, err := RemoveSubscriber(ctx, st, "ann@example.org"); err != nil || !changed || sub.Status != store.StatusUnsubscribed {
		t.Fatalf("remove: %+v %v %v", sub, changed, err)
	}
	if _, changed, err := RemoveSubscriber(ctx, st, "ann@example.org"); err != nil || changed {
		t.Fatalf("removing twice: %v %v", changed, err)
	}
	if _, err := AddSubscriber(ctx, st, "ann@example.org", "", true); !errors.Is(err, ErrExists) {
		t.Fatalf("adding a removed address again: %v", err)
	}
	if _, _, err := RemoveSubscriber(ctx, st, "nobody@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("removing an unknown address: %v", err)
	}
	// Forgetting erases; adding without a new opt-in is refused after.
	if err := ForgetSubscriber(ctx, st, "bo@example.org"); err != nil {
		t.Fatal(err)
	}
	if _, err := AddSubscriber(ctx, st, "BO@example.org", "", true); !errors.Is(err, ErrSuppressed) {
		t.Fatalf("adding a forgotten address as confirmed: %v", err)
	}
	var all []string
	ListSubscribers(ctx, st, "", func(s store.Subscriber) error { all = append(all, s.Email); return nil })
	if strings.Join(all, ",") != "ann@example.org" {
		t.Fatalf("list after forgetting bo: %v", all)
	}
}

func TestTokens(t *testing.T) {
	now := time.Now()
	tok := signToken(testSecret, purposeConfirm, "Ann@example.org", now.Add(time.Hour))
	if email, err := verifyToken(testSecret, purposeConfirm, tok, now); err != nil || email != "Ann@example.org" {
		t.Fatalf("verify: %q %v", email, err)
	}
	if _, err := verifyToken(testSecret, purposeUnsubscribe, tok, now); err == nil {
		t.Error("confirm token accepted for unsubscribing")
	}
	if _, err := verifyToken(testSecret, purposeConfirm, tok, now.Add(2*time.Hour)); err == nil {
		t.Error("expired token accepted")
	}
	if _, err := verifyToken([]byte("another secret, 32 bytes long..."), purposeConfirm, tok, now); err == nil {
		t.Error("token accepted under another secret")
	}
	forged := signToken([]byte("guess"), purposeConfirm, "bob@example.org", now.Add(time.Hour))
	if _, err := verifyToken(testSecret, purposeConfirm, forged, now); err == nil {
		t.Error("forged token accepted")
	}
}

// TestUnsubscribeNonASCIIAddress: the store compares addresses ignoring
// ASCII case only, so a token must name the address as stored; a token
// naming "ölaf@…" does not find "Ölaf@…", and the unsubscribe would report
// success while the subscriber stays confirmed.
func TestUnsubscribeNonASCIIAddress(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	n := newTestNewsletter(t, st, testOptions(t))
	const addr = "Ölaf@example.org"
	sub, _, err := st.AddSubscriber(ctx, addr, "", store.StatusConfirmed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Unsubscribe(ctx, n.UnsubscribeToken(addr)); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Subscriber(ctx, sub.ID); got.Status != store.StatusUnsubscribed {
		t.Fatalf("after unsubscribing, %s is %s", addr, got.Status)
	}
}
