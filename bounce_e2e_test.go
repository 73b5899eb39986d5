package bulletin

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/bouncetest"
	"github.com/bulletin-app/bulletin/internal/imaptest"
	"github.com/bulletin-app/bulletin/internal/smtptest"
	"github.com/bulletin-app/bulletin/internal/storetest"
	"github.com/bulletin-app/bulletin/newsletter/bounce"
	"github.com/bulletin-app/bulletin/store"
)

// TestBounceEndToEnd sends an issue over SMTP with VERP return paths; the
// mail system of one recipient, who does not exist, answers later with a
// delivery status notification to the message's return path, which lands
// in a real IMAP mailbox; the bounces job reads it. The subscriber is then
// bounced and left out of the next issue, and nothing else changed. On
// go-imap's in-process server, and on Debian's Dovecot (under
// BULLETIN_E2E=1; skipped by hand where it is not installed).
func TestBounceEndToEnd(t *testing.T) {
	t.Run("in-process", func(t *testing.T) { testBounceEndToEnd(t, imaptest.StartMemory(t, imaptest.Options{NoMove: true})) })
	t.Run("dovecot", func(t *testing.T) { testBounceEndToEnd(t, imaptest.StartDovecot(t, imaptest.DovecotOptions{})) })
}

const (
	e2eDomain = "bounces.example.org"
	deadRcpt  = "gone@example.net"
)

func testBounceEndToEnd(t *testing.T, imap *imaptest.Server) {
	ctx := context.Background()
	srv := smtptest.Start(t)
	dir := t.TempDir()
	articles := filepath.Join(dir, "articles")
	os.MkdirAll(articles, 0o755)
	os.WriteFile(filepath.Join(articles, "one.txt"), []byte("The first story\n\nThe council met on Monday. It approved the new budget for the schools. Parents welcomed it.\n"), 0o644)
	cfg, err := LoadConfig(writeConfig(t, dir, fmt.Sprintf(`sources:
  - name: local
    folder: %s
newsletter:
  from: Bulletin <news@example.org>
  smtp:
    host: %s
    port: %d
    tls: none
  bounces:
    domain: %s
    mailbox:
      host: %s
      port: %d
      tls: none
      username: %s
      password: %q
subscribers:
  - First Reader <first@example.com>
  - %s
  - third@example.org
`, articles, srv.Host, srv.Port, e2eDomain, imap.Host, imap.Port, imap.Username, imap.Password, deadRcpt)))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database.URL = storetest.DatabaseURL(t)
	app, err := Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()

	// Issue 1 goes out to all three, each with its own return path.
	rep, err := app.Run(ctx)
	if err != nil || rep.Sent == nil || rep.Sent.Sent != 3 {
		t.Fatalf("first run: %v\n%s", err, rep)
	}
	if rep.Bounces.Read != 0 {
		t.Errorf("the mailbox was not empty: %s", rep.Bounces)
	}
	news, _ := app.Newsletter()
	var dead smtptest.Message
	for _, m := range srv.Messages() {
		sub, err := app.Store.SubscriberByEmail(ctx, m.To[0])
		if err != nil {
			t.Fatal(err)
		}
		if want := news.ReturnPath(1, sub.ID); m.From != want || !strings.HasSuffix(m.From, "@"+e2eDomain) {
			t.Errorf("message to %s: envelope sender %q, want %q", m.To[0], m.From, want)
		}
		if m.To[0] == deadRcpt {
			dead = m
		}
	}

	// The recipient's mail system accepted the message, then found no
	// such user: its DSN goes to the return path, into the mailbox.
	report := dsn(t, dead)
	imap.Append(t, "INBOX", report)
	before := snapshot(t, app.Store)

	sum, err := app.BouncesNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("bounces job: %s", sum)
	if sum.Read != 1 || sum.Processed != 1 || sum.Recorded[store.BounceHard] != 1 || sum.Changed[store.StatusBounced] != 1 {
		t.Errorf("bounces job: %s", sum)
	}
	after := snapshot(t, app.Store)
	gone, _ := app.Store.SubscriberByEmail(ctx, deadRcpt)
	if gone.Status != store.StatusBounced {
		t.Errorf("%s is %s, want bounced", deadRcpt, gone.Status)
	}
	// Nothing else changed: the other subscribers, the ledger.
	before.subscribers[deadRcpt] = store.StatusBounced
	if !before.equal(after) {
		t.Errorf("more changed than the bounced subscriber:\nbefore %+v\nafter  %+v", before, after)
	}
	if n := imap.Count(t, "INBOX"); n != 0 {
		t.Errorf("INBOX keeps %d messages", n)
	}
	if n := imap.Count(t, "bulletin-processed"); n != 1 {
		t.Errorf("the processed folder holds %d messages, want 1", n)
	}
	st, err := app.Status(ctx)
	if err != nil || len(st.Bounces) != 1 || st.Bounces[0].Email != deadRcpt || st.Issue.Bounces[store.BounceHard] != 1 {
		t.Errorf("status: %+v, %v", st.Bounces, err)
	}

	// The same DSN read again (as after a stop between recording it and
	// moving it), and an auto-reply: nothing more happens, and the
	// auto-reply is kept for a person.
	imap.Append(t, "INBOX", report)
	imap.Append(t, "INBOX", bouncetest.Read(t, "vacation.eml"))
	sum, err = app.BouncesNow(ctx)
	t.Logf("bounces job, again: %s", sum)
	if err != nil || sum.Duplicates != 1 || sum.Unhandled != 1 || sum.Recorded[store.BounceHard] != 0 {
		t.Errorf("second bounces job: %s, %v", sum, err)
	}
	if c, _ := app.Store.BounceCounts(ctx, 1); c[store.BounceHard] != 1 {
		t.Errorf("bounce counts %v after reading the DSN twice", c)
	}
	if n := imap.Count(t, "bulletin-unhandled"); n != 1 {
		t.Errorf("the unhandled folder holds %d, want 1", n)
	}
	if !snapshot(t, app.Store).equal(after) {
		t.Error("reading the DSN again changed something")
	}

	// The next issue skips the bounced subscriber.
	os.WriteFile(filepath.Join(articles, "two.txt"), []byte("The second story\n\nThe tram line opens next week. It links the station to the hospital. Riders are pleased.\n"), 0o644)
	rep, err = app.Run(ctx)
	if err != nil || rep.Issue.Number != 2 || rep.Sent == nil || rep.Sent.Sent != 2 {
		t.Fatalf("second run: %v\n%s", err, rep)
	}
	t.Logf("next issue: %s", rep.Sent)
	if n := srv.Count(deadRcpt); n != 1 {
		t.Errorf("%s got %d messages, want only the first issue's", deadRcpt, n)
	}
	for _, rcpt := range []string{"first@example.com", "third@example.org"} {
		if n := srv.Count(rcpt); n != 2 {
			t.Errorf("%s got %d messages, want 2", rcpt, n)
		}
	}
}

// dsn is what a Postfix answers to the return path of a message it
// accepted and could not deliver: an RFC 3464 report, with the message's
// header returned.
func dsn(t *testing.T, m smtptest.Message) []byte {
	t.Helper()
	end := bytes.Index(m.Data, []byte("\r\n\r\n"))
	if end < 0 {
		t.Fatal("the sent message has no header end")
	}
	rcpt := m.To[0]
	b := fmt.Appendf(nil, "Return-Path: <>\r\nDelivered-To: %s\r\n"+
		"From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\nTo: %s\r\n"+
		"Subject: Undelivered Mail Returned to Sender\r\nDate: %s\r\nMessage-Id: <dsn.%d@mx.example.net>\r\n"+
		"Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B.1\"\r\n\r\n"+
		"--B.1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"+
		"This is the mail system at host mx.example.net.\r\n\r\n"+
		"<%s>: host mailbox.example.net[192.0.2.30] said: 550 5.1.1 <%s>:\r\n"+
		"    Recipient address rejected: User unknown in local recipient table\r\n\r\n"+
		"--B.1\r\nContent-Type: message/delivery-status\r\n\r\n"+
		"Reporting-MTA: dns; mx.example.net\r\n\r\n"+
		"Final-Recipient: rfc822; %s\r\nAction: failed\r\nStatus: 5.1.1\r\n"+
		"Diagnostic-Code: smtp; 550 5.1.1 <%s>: Recipient address rejected: User unknown\r\n\r\n"+
		"--B.1\r\nContent-Type: text/rfc822-headers\r\n\r\n%s\r\n\r\n--B.1--\r\n",
		m.From, m.From, time.Now().Format(time.RFC1123Z), time.Now().UnixNano(), rcpt, rcpt, rcpt, rcpt, m.Data[:end])
	// Read as the bounces job will: a hard bounce naming the delivery.
	ev, err := bounce.ParseMessage(b)
	if err != nil || ev.Kind != bounce.Hard || len(ev.ReturnPaths) == 0 {
		t.Fatalf("the test's DSN reads as %+v, %v", ev, err)
	}
	return b
}

// state is what a bounce may change: each subscriber's status, and the
// ledger's rows.
type state struct {
	subscribers map[string]store.SubscriberStatus
	ledger      []string
}

func snapshot(t *testing.T, st *store.Store) state {
	t.Helper()
	ctx := context.Background()
	s := state{subscribers: map[string]store.SubscriberStatus{}}
	subs, err := st.Subscribers(ctx, "", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range subs {
		s.subscribers[sub.Email] = sub.Status
	}
	issues, err := st.Issues(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, is := range issues {
		n := is.Number
		for _, status := range []store.DeliveryStatus{store.DeliveryPending, store.DeliverySending, store.DeliverySent, store.DeliveryFailed} {
			rows, err := st.Deliveries(ctx, n, status, false, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range rows {
				s.ledger = append(s.ledger, fmt.Sprintf("%d/%s %s %d %s %s %v", d.IssueNumber, d.Email, d.Status, d.Attempts, d.LastError, d.MessageID, d.SentAt))
			}
		}
	}
	slices.Sort(s.ledger)
	return s
}

func (s state) equal(o state) bool {
	if len(s.subscribers) != len(o.subscribers) || !slices.Equal(s.ledger, o.ledger) {
		return false
	}
	for k, v := range s.subscribers {
		if o.subscribers[k] != v {
			return false
		}
	}
	return true
}
