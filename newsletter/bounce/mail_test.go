package bounce

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The fixtures' original message: issue 1 to subscriber 1, its return path
// signed with fixtureVERP.
const (
	fixtureToken     = "aea46hbajpwlcfii"
	fixtureMessageID = "bulletin.1.1.3f9a2c7d1e0b@example.org"
)

var fixtureVERP = VERP{Secret: []byte("fixture secret: bulletin bounce tests"), Domain: "bounces.example.org"}

// Fixture is one message of testdata/ and what reading it must give. The
// newsletter's tests feed the same files through the whole pipeline, to
// the subscriber's status; Action says what that is.
type Fixture struct {
	File   string
	Err    error // ErrNotReport or ErrMalformed; then nothing else is checked
	Kind   Kind
	Format string
	Status string
	Rcpt   string
	// VERP: the fixture's return path is found; MessageID: its
	// Message-ID is.
	VERP, MessageID bool
	Action          string // what it does to the subscriber, in words
}

// Fixtures are the shapes a bounce mailbox receives: RFC 3464 reports
// (from sendmail, Postfix, Gmail, Exchange Online), the plain-text bounces
// of Exim, Postfix without DSN, qmail and Yahoo, RFC 5965 feedback reports
// (Yahoo's and Outlook.com's feedback loops), and what is none of them.
var Fixtures = []Fixture{
	{File: "rfc3464-hard.eml", Kind: Hard, Format: "dsn", Status: "5.1.1", Rcpt: "louisl@example.net", VERP: true, MessageID: true, Action: "bounced"},
	{File: "rfc3464-delayed.eml", Kind: None, Format: "dsn", Status: "4.4.1", Rcpt: "louisl@example.net", VERP: true, MessageID: true, Action: "nothing: the MTA still tries"},
	{File: "rfc3464-headers-only.eml", Kind: Hard, Format: "dsn", Status: "5.1.1", Rcpt: "marta@example.com", MessageID: true, Action: "bounced, found by its Message-ID"},
	{File: "rfc3464-mailbox-full.eml", Kind: Soft, Format: "dsn", Status: "5.2.2", Rcpt: "louisl@example.net", VERP: true, MessageID: true, Action: "one soft bounce"},
	{File: "postfix-dsn.eml", Kind: Hard, Format: "dsn", Status: "5.1.1", Rcpt: "nobody.here@example.com", VERP: true, MessageID: true, Action: "bounced"},
	{File: "postfix-plain.eml", Kind: Hard, Format: "postfix", Status: "5.1.1", Rcpt: "gone@example.com", VERP: true, MessageID: true, Action: "bounced"},
	{File: "exim-hard.eml", Kind: Hard, Format: "exim", Status: "5.1.1", Rcpt: "old.reader@example.net", VERP: true, MessageID: true, Action: "bounced"},
	{File: "exim-delayed.eml", Kind: None, Format: "exim", Rcpt: "old.reader@example.net", VERP: true, Action: "nothing: the MTA still tries"},
	{File: "qmail.eml", Kind: Hard, Format: "qmail", Status: "5.1.1", Rcpt: "nosuchuser@example.info", VERP: true, MessageID: true, Action: "bounced"},
	{File: "gmail-nouser.eml", Kind: Hard, Format: "dsn", Status: "5.1.1", Rcpt: "lost.reader@gmail.com", VERP: true, MessageID: true, Action: "bounced"},
	{File: "gmail-overquota.eml", Kind: Soft, Format: "dsn", Status: "4.2.2", Rcpt: "full.reader@gmail.com", VERP: true, MessageID: true, Action: "one soft bounce"},
	{File: "outlook-ndr.eml", Kind: Hard, Format: "dsn", Status: "5.1.10", Rcpt: "departed@contoso.example", VERP: true, MessageID: true, Action: "bounced"},
	{File: "outlook-blocked.eml", Kind: Soft, Format: "dsn", Status: "5.7.1", Rcpt: "reader@outlook.example", VERP: true, MessageID: true, Action: "one soft bounce: the sender was blocked, not the address"},
	{File: "yahoo-plain.eml", Kind: Hard, Format: "qmail", Status: "5.0.0", Rcpt: "no.account@yahoo.com", VERP: true, MessageID: true, Action: "bounced"},
	{File: "rfc5965-abuse.eml", Kind: Complaint, Format: "arf", Rcpt: "user@example.com", VERP: true, MessageID: true, Action: "complained: unsubscribed and suppressed"},
	{File: "yahoo-arf.eml", Kind: Complaint, Format: "arf", Rcpt: "complainer@yahoo.com", VERP: true, MessageID: true, Action: "complained: unsubscribed and suppressed"},
	{File: "outlook-arf.eml", Kind: Complaint, Format: "arf", Rcpt: "redacted@outlook.example", VERP: true, MessageID: true, Action: "complained: unsubscribed and suppressed"},
	{File: "arf-not-spam.eml", Kind: None, Format: "arf", Rcpt: "user@example.com", VERP: true, MessageID: true, Action: "nothing: a not-spam report"},
	{File: "vacation.eml", Err: ErrNotReport, Action: "left for a person: an auto-reply"},
	{File: "read-receipt.eml", Err: ErrNotReport, Action: "left for a person: a read receipt"},
	{File: "broken.eml", Err: ErrMalformed, Action: "left for a person: not mail"},
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseMessage reads every fixture, with the line ends it was written
// with and with CRLF, as IMAP servers deliver it.
func TestParseMessage(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.eml")
	if len(files) != len(Fixtures) {
		t.Errorf("testdata holds %d messages, the table %d", len(files), len(Fixtures))
	}
	for _, f := range Fixtures {
		raw := readFixture(t, f.File)
		crlf := bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
		for _, v := range []struct {
			name string
			raw  []byte
		}{{"lf", raw}, {"crlf", crlf}} {
			t.Run(f.File+"/"+v.name, func(t *testing.T) {
				ev, err := ParseMessage(v.raw)
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
				if got := slices.Contains(ev.ReturnPaths, fixtureToken); got != f.VERP {
					t.Errorf("return paths %q: has the fixture's = %v, want %v", ev.ReturnPaths, got, f.VERP)
				}
				for _, rp := range ev.ReturnPaths {
					if _, _, ok := fixtureVERP.Parse(rp); !ok {
						t.Errorf("return path %q does not verify", rp)
					}
				}
				if got := ev.MessageID == fixtureMessageID; got != f.MessageID {
					t.Errorf("Message-ID %q: the fixture's = %v, want %v", ev.MessageID, got, f.MessageID)
				}
				if !strings.HasPrefix(ev.ID, "mail:") || ev.Source != "mail" {
					t.Errorf("id %q source %q", ev.ID, ev.Source)
				}
				if ev.Kind != None && ev.Diagnostic == "" && ev.Kind != Complaint {
					t.Error("no diagnostic")
				}
				if ev.Reason == "" {
					t.Error("no reason")
				}
			})
		}
	}
}

// TestParseMessageID: one message read twice has one id; two messages
// have two.
func TestParseMessageID(t *testing.T) {
	a, _ := ParseMessage(readFixture(t, "rfc3464-hard.eml"))
	b, _ := ParseMessage(readFixture(t, "rfc3464-hard.eml"))
	c, _ := ParseMessage(readFixture(t, "postfix-dsn.eml"))
	if a.ID != b.ID || a.ID == c.ID {
		t.Errorf("ids %q %q %q", a.ID, b.ID, c.ID)
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		action, status, diag string
		kind                 Kind
		code                 string
	}{
		{"failed", "5.1.1", "550 5.1.1 user unknown", Hard, "5.1.1"},
		{"failed", "5.0.0", "550 5.1.2 bad destination system", Hard, "5.1.2"},
		{"failed", "5.0.0", "550 Requested action not taken: mailbox unavailable", Hard, "5.0.0"},
		{"failed", "5.2.2", "552 Mailbox full", Soft, "5.2.2"},
		{"failed", "5.7.1", "550 5.7.1 Message rejected as spam", Soft, "5.7.1"},
		{"failed", "5.7.1", "550 5.7.1 Recipient address rejected: user unknown", Hard, "5.7.1"},
		{"failed", "5.7.13", "525 5.7.13 User account disabled", Hard, "5.7.13"},
		{"failed", "4.4.7", "Delivery time expired", Soft, "4.4.7"},
		{"failed", "4.2.2", "452 4.2.2 over quota", Soft, "4.2.2"},
		{"failed", "", "550 5.4.4 Unable to route", Hard, "5.4.4"},
		{"delayed", "4.4.1", "connection timed out", None, "4.4.1"},
		{"delivered", "2.0.0", "", None, "2.0.0"},
		{"", "", "554 delivery error: dd This user doesn't have a yahoo.com account", Hard, "5.0.0"},
		{"", "", "mailbox is full", Soft, ""},
		{"failed", "", "it did not work", Hard, ""},
		{"", "", "it did not work", Soft, ""},
	} {
		kind, code, reason := classify(c.action, c.status, c.diag)
		if kind != c.kind || code != c.code {
			t.Errorf("classify(%q, %q, %q) = %q %q (%s), want %q %q", c.action, c.status, c.diag, kind, code, reason, c.kind, c.code)
		}
	}
}
