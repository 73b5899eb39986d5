// Package bouncetest gives tests the bounce fixtures of
// newsletter/bounce/testdata: the messages, what reading each must give
// (fixtures.txt) and what each must do to its subscriber, so that the
// parser's tests and the newsletter's pipeline tests check one table.
package bouncetest

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/newsletter/bounce"
)

// What every fixture's original message is: issue 1 to subscriber 1.
const (
	// Secret signs the fixtures' return paths.
	Secret = "fixture secret: bulletin bounce tests"
	// Domain is their return path's domain.
	Domain = "bounces.example.org"
	// Token is their return path's token: bounces+Token@Domain.
	Token = "aea46hbajpwlcfii"
	// MessageID is their Message-ID.
	MessageID = "bulletin.1.1.3f9a2c7d1e0b@example.org"
)

// VERP is the return paths' signer.
func VERP() bounce.VERP { return bounce.VERP{Secret: []byte(Secret), Domain: Domain} }

// Fixture is one line of fixtures.txt.
type Fixture struct {
	File   string
	Err    error // bounce.ErrNotReport or ErrMalformed; then the rest is empty
	Kind   bounce.Kind
	Format string
	Status string
	Rcpt   string
	// VERP and MessageID: the fixture's return path and Message-ID are
	// found in it.
	VERP, MessageID bool
	// Action is what it does to the subscriber: bounced, soft,
	// complained, nothing or kept; Why says more.
	Action, Why string
}

// Dir is the folder of the fixtures.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "newsletter", "bounce", "testdata")
}

// Read returns one fixture's message.
func Read(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(), name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Fixtures reads fixtures.txt.
func Fixtures(tb testing.TB) []Fixture {
	tb.Helper()
	f, err := os.Open(filepath.Join(Dir(), "fixtures.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []Fixture
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		c := strings.Fields(text)
		if len(c) < 8 {
			tb.Fatalf("fixtures.txt:%d: %d columns, want 8 or more", line, len(c))
		}
		fx := Fixture{File: c[0], Format: dash(c[2]), Status: dash(c[3]), Rcpt: dash(c[4]),
			VERP: c[5] == "yes", MessageID: c[6] == "yes", Action: strings.TrimSuffix(c[7], ":"), Why: strings.Join(c[8:], " ")}
		switch c[1] {
		case "-":
		case "not-report":
			fx.Err = bounce.ErrNotReport
		case "malformed":
			fx.Err = bounce.ErrMalformed
		default:
			fx.Kind = bounce.Kind(c[1])
		}
		switch fx.Action {
		case "bounced", "soft", "complained", "nothing", "kept":
		default:
			tb.Fatalf("fixtures.txt:%d: unknown action %q", line, fx.Action)
		}
		out = append(out, fx)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func dash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}
