package newsletter

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bulletin-app/bulletin/internal/storetest"
	"github.com/bulletin-app/bulletin/store"
)

// The parsers of outside input here: CSV files handed to "subscribers
// import", and the tokens of confirmation and unsubscribe links, which
// anyone can send. Whatever they are given, they must return, not panic,
// and keep their promises. .ci/run runs each for a bounded number of
// inputs; a failure found is kept in testdata/fuzz and runs with every go
// test.

// FuzzImportCSV: an import takes only valid rows, each a valid address
// with a one-line name, and reports every other row with a line number
// within the file; it never fails as a whole for what the file says.
func FuzzImportCSV(f *testing.F) {
	if b, err := os.ReadFile("testdata/import.csv"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("email,name\n\"a@example.org\",\"=cmd|' /C calc'!A0\"\n"))
	f.Add([]byte("\ufeffE-mail;Name\r\nx@example.org;X\r\n"))
	f.Add([]byte("\"unterminated,\n"))
	f.Add([]byte("a@example.org,'+1,confirmed\n,,\n"))
	st := storetest.Open(f)
	ctx := context.Background()
	checked := map[string]bool{} // the store is shared: each input answers for what it added
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := ImportCSV(ctx, st, bytes.NewReader(data), ImportOptions{Confirmed: true})
		if err != nil {
			t.Fatalf("import failed as a whole: %v", err)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, e := range rep.Invalid {
			if e.Line < 1 || e.Line > lines || e.Err == nil {
				t.Errorf("refused row at line %d of %d: %v", e.Line, lines, e.Err)
			}
		}
		// Every stored subscriber keeps the promises of the list.
		err = ListSubscribers(ctx, st, "", func(s store.Subscriber) error {
			if checked[s.Email] {
				return nil
			}
			checked[s.Email] = true
			if _, err := ParseAddress(s.Email); err != nil {
				t.Errorf("stored address %q: %v", s.Email, err)
			}
			if strings.ContainsAny(s.Name, "\r\n") || !utf8.ValidString(s.Name) {
				t.Errorf("stored name %q is not one line of text", s.Name)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzCSVCell: a cell as exported never starts as a formula, and reads
// back as the value it was.
func FuzzCSVCell(f *testing.F) {
	for _, s := range []string{"=1+1", "'=x", "''+y", "O'Brien", "'tis", "", "'", "-", "\t=", "plain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		c := csvCell(v)
		if c != "" && strings.IndexByte(formulaStart, c[0]) >= 0 {
			t.Errorf("csvCell(%q) = %q starts as a formula", v, c)
		}
		if back := csvUncell(c); back != v {
			t.Errorf("csvUncell(csvCell(%q)) = %q", v, back)
		}
	})
}

// FuzzVerifyToken: no token but one made with the secret verifies, and a
// token made for an address verifies as that address, for its purpose
// only, until it expires.
func FuzzVerifyToken(f *testing.F) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	f.Add("", "ann@example.org")
	f.Add("abc.def", "bob@example.org")
	f.Add(signToken(secret, purposeConfirm, "ann@example.org\n123", now.Add(time.Hour)), "x@y.org")
	f.Add(signToken(secret, purposeUnsubscribe, "ann@example.org", time.Time{}), "Ö@example.org")
	f.Add(strings.Repeat("A", 2000)+"."+strings.Repeat("B", 43), "a@b.c")
	f.Fuzz(func(t *testing.T, token, email string) {
		// Whatever it is, a token is refused or verified without a panic;
		// one made up verifies only by breaking HMAC-SHA256.
		for _, purpose := range []string{purposeConfirm, purposeUnsubscribe} {
			verifyToken(secret, purpose, token, now)
		}
		for _, purpose := range []string{purposeConfirm, purposeUnsubscribe} {
			tok := signToken(secret, purpose, email, now.Add(time.Hour))
			if len(tok) > 1024 {
				continue // too long to verify: refused whole
			}
			if got, err := verifyToken(secret, purpose, tok, now); err != nil || got != email {
				t.Errorf("token for %q (%s) verifies as %q, %v", email, purpose, got, err)
			}
			other := purposeUnsubscribe
			if purpose == other {
				other = purposeConfirm
			}
			if _, err := verifyToken(secret, other, tok, now); err == nil {
				t.Errorf("a %s token for %q works as a %s one", purpose, email, other)
			}
			if _, err := verifyToken(secret, purpose, tok, now.Add(2*time.Hour)); err == nil {
				t.Errorf("an expired token for %q works", email)
			}
			if _, err := verifyToken([]byte("another secret, another list...."), purpose, tok, now); err == nil {
				t.Errorf("a token for %q works with another secret", email)
			}
		}
	})
}
