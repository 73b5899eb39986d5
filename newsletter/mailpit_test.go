package newsletter

import (
	"context"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/internal/mailtest"
	"github.com/bulletin-app/bulletin/internal/smtptest"
)

// TestMailpit sends an issue through Mailpit, a real mail server with an
// HTTP API, and checks what arrived: one message per subscriber, both parts,
// the list headers, a DKIM signature that verifies, and HTML that Mailpit's
// html-check finds at least 90% supported by email clients.
func TestMailpit(t *testing.T) {
	mp := mailtest.StartMailpit(t)
	ctx := context.Background()
	st := openStore(t)
	emails := addSubscribers(t, st, 3)
	k := mailtest.Ed25519Key(t)
	o := testOptions(t)
	o.OutboxDir = ""
	o.SMTP = SMTP{Host: "127.0.0.1", Port: mp.SMTPPort, TLS: "none"}
	o.DKIM = DKIM{KeyFile: k.File, Selector: "mail"}
	n := newTestNewsletter(t, st, o)
	if sum, err := n.Send(ctx, SendRequest{}); err != nil || sum.Sent != 3 {
		rows, _ := st.Deliveries(ctx, 1, "failed", false, 0, 1)
		t.Fatalf("send: %+v %v %+v", sum, err, rows)
	}
	if sum, err := n.Send(ctx, SendRequest{}); err != nil || sum.Sent != 0 {
		t.Fatalf("second send: %+v %v", sum, err)
	}

	msgs := mp.Messages(t)
	if len(msgs) != 3 {
		t.Fatalf("mailpit holds %d messages, want 3", len(msgs))
	}
	got := map[string]int{}
	for _, m := range msgs {
		got[m.To[0].Address]++
		var msg struct{ HTML, Text string }
		mp.GetJSON(t, "/api/v1/message/"+m.ID, &msg)
		if !strings.Contains(msg.HTML, "View in browser") || !strings.Contains(msg.Text, "Unsubscribe: https://bulletin.example/unsubscribe?token=") {
			t.Errorf("message %s lacks its HTML or text part", m.ID)
		}
		var h map[string][]string
		mp.GetJSON(t, "/api/v1/message/"+m.ID+"/headers", &h)
		for _, name := range []string{"List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "Dkim-Signature", "Message-Id", "Precedence"} {
			if len(h[name]) == 0 {
				t.Errorf("message %s has no %s header", m.ID, name)
			}
		}
		mailtest.VerifyDKIM(t, mp.Raw(t, m.ID), k, "mail", "bulletin.example")
	}
	for _, e := range emails {
		if got[e] != 1 {
			t.Errorf("%s received %d messages", e, got[e])
		}
	}
	checkHTML(t, mp, msgs[0].ID, "issue")

	// The confirmation email, too.
	if _, err := n.Subscribe(ctx, "new@example.org", ""); err != nil {
		t.Fatal(err)
	}
	for _, m := range mp.Messages(t) {
		if m.To[0].Address == "new@example.org" {
			checkHTML(t, mp, m.ID, "confirmation")
			mailtest.VerifyDKIM(t, mp.Raw(t, m.ID), k, "mail", "bulletin.example")
		}
	}
}

// checkHTML asks Mailpit's html-check how well email clients support a
// message's HTML: at least 90%, and no <style> element (clients that drop
// it lose the layout; the CSS is inlined).
func checkHTML(t *testing.T, mp *mailtest.Mailpit, id, what string) {
	t.Helper()
	c := mp.HTMLCheck(t, id)
	t.Logf("html-check of the %s: %.1f%% supported, %.1f%% partial, %.1f%% unsupported (%d nodes); worst: %+v", what, c.Total.Supported, c.Total.Partial, c.Total.Unsupported, c.Total.Nodes, c.Warnings[:min(3, len(c.Warnings))])
	if c.Total.Tests == 0 {
		t.Fatalf("html-check of the %s ran no test", what)
	}
	if c.Total.Supported < 90 {
		t.Errorf("html-check of the %s: %.1f%% supported, want 90%% or more; warnings: %+v", what, c.Total.Supported, c.Warnings)
	}
	for _, w := range c.Warnings {
		switch w.Slug {
		case "html-style", "css-display", "css-display-none", "css-opacity", "css-overflow", "css-max-height":
			t.Errorf("html-check of the %s flags %s (%d found)", what, w.Slug, w.Score.Found)
		}
	}
}

// TestSpamAssassin scores an issue and a confirmation, as the SMTP server
// received them, with SpamAssassin's local rules: each must stay below 1.0,
// and the hidden-text rules the old hidden preheader hit must not fire.
func TestSpamAssassin(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	addSubscribers(t, st, 1)
	srv := smtptest.Start(t)
	k := mailtest.RSAKey(t)
	o := smtpOptions(t, srv)
	o.DKIM = DKIM{KeyFile: k.File, Selector: "mail"}
	n := newTestNewsletter(t, st, o)
	if _, err := n.Send(ctx, SendRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Subscribe(ctx, "new@example.org", "Nova"); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	for i, what := range []string{"issue", "confirmation"} {
		s := mailtest.SpamAssassin(t, msgs[i].Data)
		t.Logf("SpamAssassin, %s: %s", what, s.Status)
		if s.Score >= 1.0 {
			t.Errorf("%s scores %.1f, want below 1.0: %s", what, s.Score, s.Status)
		}
		for _, r := range s.Rules {
			if r == "FONT_INVIS_MSGID" || r == "HTML_FONT_LOW_CONTRAST" || strings.HasPrefix(r, "T_") && strings.Contains(r, "INVIS") {
				t.Errorf("%s hits %s: %s", what, r, s.Status)
			}
		}
		out, ok := mailtest.Mailcheck(t, msgs[i].Data, k)
		t.Logf("mailcheck, %s:\n%s", what, out)
		if !strings.Contains(out, "ok   DKIM (dkimpy): verified") {
			t.Errorf("mailcheck: dkimpy does not verify the %s:\n%s", what, out)
		}
		if what == "issue" && !ok {
			t.Errorf("mailcheck fails the issue:\n%s", out)
		}
		if what == "confirmation" {
			// Not list mail: mailcheck's bulk-sender checks do not apply.
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, "FAIL") && !strings.Contains(l, "List-Unsubscribe") && !strings.Contains(l, "one-click") {
					t.Errorf("mailcheck, confirmation: %s", l)
				}
			}
		}
	}
}
