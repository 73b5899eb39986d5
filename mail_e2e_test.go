package bulletin

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/internal/mailtest"
)

// TestDefaultRunMail is the README's `bulletin run` on the embedded
// defaults and the example articles, with a DKIM key configured and the
// mail delivered to a real Mailpit, judged as receivers judge it: the
// signature by go-msgauth and dkimpy, the message by SpamAssassin (below
// 1.0, without the hidden-text rules) and mailcheck, the HTML by Mailpit's
// html-check (90% or more supported).
func TestDefaultRunMail(t *testing.T) {
	mp := mailtest.StartMailpit(t)
	k := mailtest.RSAKey(t)
	dir := t.TempDir()
	abs, _ := filepath.Abs("examples/articles")
	cfg, err := LoadConfig(writeConfig(t, dir, fmt.Sprintf(`sources:
  - name: Example News
    folder: %s
newsletter:
  smtp:
    host: 127.0.0.1
    port: %d
    tls: none
  dkim:
    key_file: %s
    selector: mail
`, abs, mp.SMTPPort, k.File)))
	if err != nil {
		t.Fatal(err)
	}
	app, err := Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	rep, err := app.Run(context.Background())
	if err != nil || rep.Sent == nil || rep.Sent.Sent != 1 {
		t.Fatalf("run: %v\n%s", err, rep)
	}
	msgs := mp.Messages(t)
	if len(msgs) != 1 {
		t.Fatalf("mailpit holds %d messages, want 1", len(msgs))
	}
	raw := mp.Raw(t, msgs[0].ID)
	// The default From is bulletin@localhost: the key is looked up there.
	mailtest.VerifyDKIM(t, raw, k, "mail", "localhost")

	// Mailpit puts Return-Path and Received before what it was sent; they
	// would earn ALL_TRUSTED (-1.0). Score what bulletin wrote.
	sent := raw[bytes.Index(raw, []byte("DKIM-Signature:")):]
	s := mailtest.SpamAssassin(t, sent)
	t.Logf("SpamAssassin: %s", s.Status)
	if s.Score >= 1.0 {
		t.Errorf("the default issue email scores %.1f, want below 1.0: %s", s.Score, s.Status)
	}
	for _, r := range s.Rules {
		if r == "FONT_INVIS_MSGID" || r == "HTML_FONT_LOW_CONTRAST" {
			t.Errorf("the default issue email hits %s", r)
		}
	}
	out, ok := mailtest.Mailcheck(t, sent, k)
	t.Logf("mailcheck:\n%s", out)
	// The default site URL is http: there is no one-click unsubscribe
	// (RFC 8058 needs https), which mailcheck reports. All else must pass.
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "FAIL") && !strings.Contains(l, "one-click") {
			t.Errorf("mailcheck: %s", l)
		}
	}
	if !strings.Contains(out, "ok   DKIM (dkimpy): verified") {
		t.Errorf("mailcheck: dkimpy does not verify the message (ok=%v)", ok)
	}

	c := mp.HTMLCheck(t, msgs[0].ID)
	t.Logf("html-check: %d tests, %.2f%% supported, %.2f%% partial, %.2f%% unsupported", c.Total.Tests, c.Total.Supported, c.Total.Partial, c.Total.Unsupported)
	if c.Total.Tests == 0 || c.Total.Supported < 90 {
		t.Errorf("html-check: %.1f%% supported, want 90%% or more: %+v", c.Total.Supported, c.Warnings)
	}
	for _, w := range c.Warnings {
		if w.Slug == "html-style" {
			t.Errorf("html-check finds a <style> element")
		}
	}
}
