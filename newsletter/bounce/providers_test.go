package bounce

import (
	"os"
	"path/filepath"
	"testing"
)

// want is one event a webhook fixture must give.
type want struct {
	kind      Kind
	rcpt, mid string
	status    string
}

// TestProviders reads the sending services' documented payloads (adapted
// to this newsletter's messages) in testdata/webhooks.
func TestProviders(t *testing.T) {
	parse := map[string]func([]byte) ([]Event, error){
		"ses":      func(b []byte) ([]Event, error) { return ParseSES(b, "sns-message-id") },
		"postmark": ParsePostmark,
		"mailgun": func(b []byte) ([]Event, error) {
			_, evs, err := ParseMailgun(b)
			return evs, err
		},
		"sendgrid": ParseSendGrid,
	}
	for _, c := range []struct {
		file, provider string
		want           []want
	}{
		{"ses-bounce.json", "ses", []want{{Hard, "bounce@simulator.amazonses.com", "bulletin.1.1.3f9a2c7d1e0b@example.org", "5.1.1"}}},
		{"ses-transient.json", "ses", []want{{Soft, "ooto@simulator.amazonses.com", "bulletin.1.2.0a1b2c3d4e5f@example.org", "4.2.2"}}},
		{"ses-complaint.json", "ses", []want{{Complaint, "complaint@simulator.amazonses.com", "bulletin.1.3.1a2b3c4d5e6f@example.org", ""}}},
		{"ses-delivery.json", "ses", nil},
		{"postmark-bounce.json", "postmark", []want{{Hard, "john@example.com", "bulletin.1.4.2b3c4d5e6f7a@example.org", "5.1.1"}}},
		{"postmark-complaint.json", "postmark", []want{{Complaint, "john@example.com", "", ""}}},
		{"postmark-subscription-change.json", "postmark", nil},
		{"mailgun-failed.json", "mailgun", []want{{Hard, "alice@example.com", "bulletin.1.5.3c4d5e6f7a8b@example.org", "5.1.1"}}},
		{"mailgun-temporary.json", "mailgun", []want{{Soft, "bob@example.com", "bulletin.1.6.4d5e6f7a8b9c@example.org", "4.2.2"}}},
		{"mailgun-complained.json", "mailgun", []want{{Complaint, "carol@example.com", "bulletin.1.7.5e6f7a8b9c0d@example.org", ""}}},
		{"mailgun-delivered.json", "mailgun", nil},
		{"sendgrid-events.json", "sendgrid", []want{
			{Hard, "invalid@example.com", "bulletin.1.8.6f7a8b9c0d1e@example.org", "5.1.1"},
			{Soft, "blocked@example.com", "bulletin.1.9.7a8b9c0d1e2f@example.org", "5.7.1"},
			{Hard, "dropped@example.com", "bulletin.1.10.8b9c0d1e2f3a@example.org", ""},
			{Complaint, "spam@example.com", "", ""},
		}},
	} {
		t.Run(c.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "webhooks", c.file))
			if err != nil {
				t.Fatal(err)
			}
			evs, err := parse[c.provider](b)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != len(c.want) {
				t.Fatalf("%d events, want %d: %+v", len(evs), len(c.want), evs)
			}
			ids := map[string]bool{}
			for i, ev := range evs {
				w := c.want[i]
				t.Logf("%+v", ev)
				if ev.Kind != w.kind || ev.Recipient != w.rcpt || ev.MessageID != w.mid || ev.Status != w.status {
					t.Errorf("event %d: %q %q %q %q, want %q %q %q %q (%s)", i, ev.Kind, ev.Recipient, ev.MessageID, ev.Status,
						w.kind, w.rcpt, w.mid, w.status, ev.Reason)
				}
				if ev.Source != c.provider || len(ev.ID) <= len(c.provider)+1 || ids[ev.ID] || ev.At.IsZero() || ev.Reason == "" {
					t.Errorf("event %d: source %q id %q at %v reason %q", i, ev.Source, ev.ID, ev.At, ev.Reason)
				}
				ids[ev.ID] = true
			}
		})
	}
	if _, err := ParseSendGrid([]byte(`{"not": "a list"}`)); err == nil {
		t.Error("a SendGrid post that is no list was read")
	}
	if _, err := ParsePostmark([]byte(`{"RecordType": "Bounce", "Type": "HardBounce"}`)); err == nil {
		t.Error("a Postmark bounce without an ID was read")
	}
}

// FuzzProviders: whatever a webhook posts, after its signature, the
// parsers return without panicking, with bounded events.
func FuzzProviders(f *testing.F) {
	files, _ := filepath.Glob("testdata/webhooks/*.json")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, evs := range [][]Event{
			must(ParseSES(b, "x")), must(ParsePostmark(b)), must(ParseSendGrid(b)),
			func() []Event { _, evs, _ := ParseMailgun(b); return evs }(),
		} {
			if len(evs) > maxEvents {
				t.Fatalf("%d events", len(evs))
			}
			for _, ev := range evs {
				if ev.Kind != Hard && ev.Kind != Soft && ev.Kind != Complaint || ev.ID == "" || len(ev.Diagnostic) > maxDiagnostic+len("…") {
					t.Fatalf("event %+v", ev)
				}
			}
		}
	})
}

func must(evs []Event, _ error) []Event { return evs }
