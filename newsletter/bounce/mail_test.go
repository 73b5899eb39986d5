package bounce_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/internal/bouncetest"
	"github.com/bulletin-app/bulletin/newsletter/bounce"
)

// TestParseMessage reads every fixture (see testdata/fixtures.txt), with
// the line ends it was written with and with CRLF, as IMAP servers deliver
// it.
func TestParseMessage(t *testing.T) {
	fixtures := bouncetest.Fixtures(t)
	files, _ := filepath.Glob("testdata/*.eml")
	if len(files) != len(fixtures) || len(files) < 20 {
		t.Errorf("testdata holds %d messages, fixtures.txt %d", len(files), len(fixtures))
	}
	v := bouncetest.VERP()
	for _, f := range fixtures {
		raw := bouncetest.Read(t, f.File)
		crlf := bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
		for _, c := range []struct {
			name string
			raw  []byte
		}{{"lf", raw}, {"crlf", crlf}} {
			t.Run(f.File+"/"+c.name, func(t *testing.T) {
				ev, err := bounce.ParseMessage(c.raw)
				if f.Err != nil {
					if !errors.Is(err, f.Err) {
						t.Fatalf("error %v, want %v (event %+v)", err, f.Err, ev)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%+v", ev)
				if ev.Kind != f.Kind || ev.Format != f.Format || ev.Status != f.Status || ev.Recipient != f.Rcpt {
					t.Errorf("kind %q format %q status %q recipient %q; want %q %q %q %q (%s)",
						ev.Kind, ev.Format, ev.Status, ev.Recipient, f.Kind, f.Format, f.Status, f.Rcpt, ev.Reason)
				}
				if got := slices.Contains(ev.ReturnPaths, bouncetest.Token); got != f.VERP {
					t.Errorf("return paths %q: has the fixture's = %v, want %v", ev.ReturnPaths, got, f.VERP)
				}
				for _, rp := range ev.ReturnPaths {
					if is, sub, ok := v.Parse(rp); !ok || is != 1 || sub != 1 {
						t.Errorf("return path %q: %d/%d %v", rp, is, sub, ok)
					}
				}
				if got := ev.MessageID == bouncetest.MessageID; got != f.MessageID {
					t.Errorf("Message-ID %q: the fixture's = %v, want %v", ev.MessageID, got, f.MessageID)
				}
				if !strings.HasPrefix(ev.ID, "mail:") || ev.Source != "mail" {
					t.Errorf("id %q source %q", ev.ID, ev.Source)
				}
				if (ev.Kind == bounce.Hard || ev.Kind == bounce.Soft) && ev.Diagnostic == "" {
					t.Error("no diagnostic")
				}
				if ev.Reason == "" {
					t.Error("no reason")
				}
				if ev.At.IsZero() {
					t.Error("no time")
				}
			})
		}
	}
}

// TestParseMessageID: one message read twice has one id; two messages
// have two.
func TestParseMessageID(t *testing.T) {
	a, _ := bounce.ParseMessage(bouncetest.Read(t, "rfc3464-hard.eml"))
	b, _ := bounce.ParseMessage(bouncetest.Read(t, "rfc3464-hard.eml"))
	c, _ := bounce.ParseMessage(bouncetest.Read(t, "postfix-dsn.eml"))
	if a.ID != b.ID || a.ID == c.ID {
		t.Errorf("ids %q %q %q", a.ID, b.ID, c.ID)
	}
}
