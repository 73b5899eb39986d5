package newsletter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/smtptest"
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
	if err := RemoveSubscriber(ctx, st, "bo@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := RemoveSubscriber(ctx, st, "bo@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("removing twice: %v", err)
	}
}

func TestImportCSV(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	f, err := os.Open("testdata/import.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := ImportCSV(ctx, st, f, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 3 || rep.Existing != 0 {
		t.Fatalf("report %+v", rep)
	}
	var lines []int
	for _, e := range rep.Invalid {
		lines = append(lines, e.Line)
	}
	// not-an-address, repeated bob, dee@nodot, the name with a line break,
	// the unknown status.
	if got := fmt.Sprint(lines); got != "[3 6 7 8 10]" {
		t.Fatalf("invalid lines %v (%v)", lines, rep.Invalid)
	}
	if s, _ := st.SubscriberByEmail(ctx, "ann@example.org"); s.Status != store.StatusConfirmed || s.Name != "Ann Lee" {
		t.Errorf("ann: %+v", s)
	}
	if s, _ := st.SubscriberByEmail(ctx, "cy@example.org"); s.Status != store.StatusPending || s.Name != "Cy" {
		t.Errorf("cy: %+v", s)
	}

	var out bytes.Buffer
	n, err := ExportCSV(ctx, st, &out, "")
	if err != nil || n != 3 {
		t.Fatalf("export: %d %v", n, err)
	}
	st2 := openStore(t)
	rep2, err := ImportCSV(ctx, st2, &out, ImportOptions{})
	if err != nil || rep2.Added != 3 || len(rep2.Invalid) != 0 {
		t.Fatalf("re-import of export: %+v %v", rep2, err)
	}
	if s, _ := st2.SubscriberByEmail(ctx, "ann@example.org"); s.Status != store.StatusConfirmed {
		t.Errorf("status lost in export/import: %+v", s)
	}
	// Importing again keeps what is there; with Confirmed the status
	// column is not read, so the row with an unknown status goes in.
	f.Seek(0, 0)
	rep3, err := ImportCSV(ctx, st, f, ImportOptions{Confirmed: true})
	if err != nil || rep3.Added != 1 || rep3.Existing != 3 {
		t.Fatalf("second import: %+v %v", rep3, err)
	}
	if s, _ := st.SubscriberByEmail(ctx, "bob@example.org"); s.Status != store.StatusPending {
		t.Errorf("second import changed bob to %s", s.Status)
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

func TestDKIMSignsListUnsubscribe(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	addSubscribers(t, st, 1)
	keyFile := writeDKIMKey(t)
	srv := smtptest.Start(t)
	o := smtpOptions(t, srv)
	o.DKIM = DKIM{KeyFile: keyFile, Selector: "s1"}
	n := newTestNewsletter(t, st, o)
	if _, err := n.Send(ctx, SendRequest{}); err != nil {
		t.Fatal(err)
	}
	pm := parseMessage(t, srv.Messages()[0].Data)
	sig := strings.ToLower(strings.Join(strings.Fields(pm.header.Get("Dkim-Signature")), ""))
	for _, want := range []string{"d=bulletin.example", "s=s1", "list-unsubscribe:list-unsubscribe-post", "message-id"} {
		if !strings.Contains(sig, want) {
			t.Errorf("DKIM-Signature %q lacks %q", sig, want)
		}
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
