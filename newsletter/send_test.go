package newsletter

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/internal/smtptest"
	"github.com/bulletin-app/bulletin/store"
)

func TestSendOutboxOncePerSubscriber(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	emails := addSubscribers(t, st, 3)
	if _, _, err := st.AddSubscriber(ctx, "waiting@example.org", "", store.StatusPending); err != nil {
		t.Fatal(err)
	}
	o := testOptions(t)
	n := newTestNewsletter(t, st, o)

	sum, err := n.Send(ctx, SendRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sent != 3 || sum.Failed != 0 || sum.Total != 3 {
		t.Fatalf("summary %+v, want 3 sent of 3", sum)
	}
	files, _ := filepath.Glob(filepath.Join(o.OutboxDir, "*"))
	if len(files) != 3 {
		t.Fatalf("outbox holds %v, want 3 files", files)
	}
	for i, e := range emails {
		sub, err := st.SubscriberByEmail(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(o.OutboxDir, outboxName(1, sub.ID))
		pm := parseMessage(t, readFile(t, path))
		if got := pm.header.Get("To"); !strings.Contains(got, e) {
			t.Errorf("%s: To %q", path, got)
		}
		if i == 0 && (!strings.Contains(pm.text, "Hi Reader,") || !strings.Contains(pm.html, "Hi Reader,")) {
			t.Errorf("named subscriber not greeted by first name:\n%s", pm.text)
		}
		if i == 1 && (strings.Contains(pm.text, "Hi ") || strings.Contains(pm.html, "Hi ")) {
			t.Errorf("unnamed subscriber greeted with no name:\n%s", pm.text)
		}
	}

	again, err := n.Send(ctx, SendRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Sent != 0 || again.AlreadySent != 3 {
		t.Fatalf("second run %+v, want nothing sent and 3 already sent", again)
	}
	files2, _ := filepath.Glob(filepath.Join(o.OutboxDir, "*"))
	if len(files2) != 3 {
		t.Fatalf("second run left %d files", len(files2))
	}
}

func TestSendSMTPMessageFormat(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	emails := addSubscribers(t, st, 2)
	srv := smtptest.Start(t)
	n := newTestNewsletter(t, st, smtpOptions(t, srv))

	sum, err := n.Send(ctx, SendRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sent != 2 {
		t.Fatalf("summary %+v", sum)
	}
	for _, e := range emails {
		if c := srv.Count(e); c != 1 {
			t.Errorf("%s received %d messages", e, c)
		}
	}
	msgs := srv.Messages()
	pm := parseMessage(t, msgs[0].Data)
	if pm.contentType != "multipart/alternative" {
		t.Errorf("content type %s", pm.contentType)
	}
	if strings.Join(pm.partTypes, ",") != "text/plain,text/html" {
		t.Errorf("parts %v, want text first and HTML last", pm.partTypes)
	}
	h := pm.header
	if got := h.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", got)
	}
	lu := h.Get("List-Unsubscribe")
	if !regexp.MustCompile(`^<https://bulletin\.example/unsubscribe\?token=[^>]+>, ?<mailto:unsubscribe@bulletin\.example\?subject=[^>]+>$`).MatchString(lu) {
		t.Errorf("List-Unsubscribe %q", lu)
	}
	if got := h.Get("Precedence"); got != "bulk" {
		t.Errorf("Precedence %q", got)
	}
	if h.Get("X-Mailer") != "" || h.Get("User-Agent") != "" {
		t.Errorf("default mailer header present: %q %q", h.Get("X-Mailer"), h.Get("User-Agent"))
	}
	mid := h.Get("Message-Id")
	if !regexp.MustCompile(`^<bulletin\.1\.\d+\.[0-9a-f]+@bulletin\.example>$`).MatchString(mid) {
		t.Errorf("Message-ID %q", mid)
	}
	ledger, err := st.Deliveries(ctx, 1, store.DeliverySent, false, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range ledger {
		found = found || "<"+d.MessageID+">" == mid
	}
	if !found {
		t.Errorf("Message-ID %s is not the one in the ledger", mid)
	}
	subj, err := (&mimeDecoder).DecodeHeader(h.Get("Subject"))
	// No subject written: the lead story's headline, and how many more.
	if err != nil || subj != "Ünïcode café, and 1 more story" {
		t.Errorf("subject %q (%v)", subj, err)
	}
	if !strings.Contains(h.Get("Subject"), "=?UTF-8?") {
		t.Errorf("non-ASCII subject not encoded: %q", h.Get("Subject"))
	}
	// Plain text data is escaped in HTML and shown as is in text.
	if !strings.Contains(pm.html, "Tides &amp; &lt;moons&gt;") || strings.Contains(pm.html, "<b>not bold</b>") {
		t.Errorf("HTML does not escape entry text")
	}
	if !strings.Contains(pm.text, "Tides & <moons>") {
		t.Errorf("text part lost the title:\n%s", pm.text)
	}
	// CSS is inlined and the preheader and browser link are there.
	if !strings.Contains(pm.html, `style="`) || !strings.Contains(pm.html, "View in browser") ||
		!strings.Contains(pm.html, "https://bulletin.example/issues/1/") || !strings.Contains(pm.html, ">Ünïcode café in short.") {
		t.Errorf("HTML lacks inlined CSS, browser link or preheader")
	}
	// The unsubscribe link in the body is the subscriber's own.
	tok := n.UnsubscribeToken(strings.Trim(msgs[0].To[0], "<>"))
	if !strings.Contains(pm.text, tok) || !strings.Contains(pm.html, tok) || !strings.Contains(lu, tok) {
		t.Errorf("personal unsubscribe token missing")
	}

	again, err := n.Send(ctx, SendRequest{})
	if err != nil || again.Sent != 0 {
		t.Fatalf("second send: %+v, %v", again, err)
	}
	if srv.Total() != 2 {
		t.Fatalf("server received %d messages after two runs, want 2", srv.Total())
	}
}

func TestSendRefusesBrokenSubject(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	addSubscribers(t, st, 1)
	is, _ := st.Issue(ctx, 1)
	is.Subject = "Hello\r\nBcc: victim@example.org"
	n := newTestNewsletter(t, st, testOptions(t))
	if _, err := n.renderIssue(mailing{Issue: is}, false); err == nil || !strings.Contains(err.Error(), "line break") {
		t.Fatalf("header injection in subject not refused: %v", err)
	}
}

func TestSendNeedsLock(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	addSubscribers(t, st, 1)
	n := newTestNewsletter(t, st, testOptions(t))
	if err := st.Lock(ctx, "newsletter:send:1", "scheduler", 1<<40); err != nil {
		t.Fatal(err)
	}
	_, err := n.Send(ctx, SendRequest{})
	if st.SharesSends() {
		// Senders share the issue, each taking parts of the ledger: no
		// lease keeps them apart (TestSharedSend).
		if err != nil {
			t.Fatalf("shared send while another holds the lease: %v", err)
		}
		return
	}
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("send while another holds the lock: %v", err)
	}
	if files, _ := filepath.Glob(filepath.Join(n.opts.OutboxDir, "*")); len(files) != 0 {
		t.Fatalf("sent %v while locked", files)
	}
}
