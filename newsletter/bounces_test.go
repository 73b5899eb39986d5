package newsletter

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/internal/bouncetest"
	"github.com/bulletin-app/bulletin/internal/smtptest"
	"github.com/bulletin-app/bulletin/internal/storetest"
	"github.com/bulletin-app/bulletin/newsletter/bounce"
	"github.com/bulletin-app/bulletin/store"
)

// TestSendReturnPath: with a return path domain, each message's envelope
// sender (MAIL FROM) is its own VERP address naming its ledger row, and
// the From header stays; without one, the envelope sender is the From
// address.
func TestSendReturnPath(t *testing.T) {
	ctx := context.Background()
	for _, domain := range []string{"bounces.bulletin.example", ""} {
		t.Run("domain="+domain, func(t *testing.T) {
			srv := smtptest.Start(t)
			st := openStore(t)
			emails := addSubscribers(t, st, 3)
			o := smtpOptions(t, srv)
			o.Bounces.ReturnPathDomain = domain
			n := newTestNewsletter(t, st, o)
			if _, err := n.Send(ctx, SendRequest{}); err != nil {
				t.Fatal(err)
			}
			msgs := srv.Messages()
			if len(msgs) != len(emails) {
				t.Fatalf("%d messages", len(msgs))
			}
			verp := bounce.VERP{Secret: testSecret}
			for _, m := range msgs {
				sub, err := st.SubscriberByEmail(ctx, m.To[0])
				if err != nil {
					t.Fatal(err)
				}
				if from := parseMessage(t, m.Data).header.Get("From"); !strings.Contains(from, "news@bulletin.example") {
					t.Errorf("From: %s", from)
				}
				if domain == "" {
					if m.From != "news@bulletin.example" {
						t.Errorf("envelope sender %q, want the From address", m.From)
					}
					continue
				}
				if !strings.HasPrefix(m.From, "bounces+") || !strings.HasSuffix(m.From, "@"+domain) {
					t.Errorf("envelope sender %q", m.From)
				}
				if issue, id, ok := verp.Parse(m.From); !ok || issue != 1 || id != sub.ID {
					t.Errorf("envelope sender %q names %d/%d (%v), want 1/%d", m.From, issue, id, ok, sub.ID)
				}
				if m.From != n.ReturnPath(1, sub.ID) {
					t.Errorf("ReturnPath = %q, sent %q", n.ReturnPath(1, sub.ID), m.From)
				}
			}
		})
	}
}

// fixtureStore is a store whose issue 1 was sent to subscriber 1 with the
// bounce fixtures' Message-ID, and a newsletter that signs return paths
// as the fixtures' were.
func fixtureStore(t *testing.T) (*store.Store, *Newsletter, store.Subscriber) {
	t.Helper()
	ctx := context.Background()
	st := openStore(t)
	sub, _, err := st.AddSubscriber(ctx, "Reader@example.net", "Reader", store.StatusConfirmed)
	if err != nil {
		t.Fatal(err)
	}
	if sub.ID != 1 {
		t.Fatalf("the first subscriber has id %d: the fixtures' return path names 1", sub.ID)
	}
	if _, err := st.PlanDeliveries(ctx, 1, "example.org"); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkDeliverySent(ctx, 1, sub.ID); err != nil {
		t.Fatal(err)
	}
	storetest.Exec(t, st, "UPDATE deliveries SET message_id = '"+bouncetest.MessageID+"'",
		"UPDATE deliveries SET message_id = '"+bouncetest.MessageID+"'")
	o := testOptions(t)
	o.Secret = []byte(bouncetest.Secret)
	o.Bounces.ReturnPathDomain = bouncetest.Domain
	return st, newTestNewsletter(t, st, o), sub
}

// TestBounceFixtures runs every fixture of newsletter/bounce/testdata
// through the whole pipeline, from the message to the subscriber, and
// checks the action fixtures.txt says it must cause.
func TestBounceFixtures(t *testing.T) {
	for _, f := range bouncetest.Fixtures(t) {
		t.Run(f.File, func(t *testing.T) {
			ctx := context.Background()
			st, n, sub := fixtureStore(t)
			ev, err := bounce.ParseMessage(bouncetest.Read(t, f.File))
			if f.Action == "kept" {
				if err == nil {
					t.Fatalf("read as a report: %+v", ev)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			res, err := n.HandleBounce(ctx, ev, false)
			if err != nil {
				t.Fatal(err)
			}
			t.Log(res)
			if res.Delivery.IssueNumber != 1 || res.Delivery.SubscriberID != sub.ID {
				t.Errorf("found delivery %d/%d", res.Delivery.IssueNumber, res.Delivery.SubscriberID)
			}
			if want := map[bool]Match{true: ByReturnPath, false: ByMessageID}[f.VERP]; res.By != want {
				t.Errorf("found by %s, want %s", res.By, want)
			}
			got, _ := st.Subscriber(ctx, sub.ID)
			counts, _ := st.BounceCounts(ctx, 1)
			suppressed, _ := st.Suppressed(ctx, sub.Email)
			want := map[string]store.SubscriberStatus{"bounced": store.StatusBounced, "complained": store.StatusComplained}[f.Action]
			if want == "" {
				want = store.StatusConfirmed
			}
			if got.Status != want {
				t.Errorf("subscriber %s, want %s (%s)", got.Status, want, f.Action)
			}
			wantCounts := map[string]store.BounceKind{"bounced": store.BounceHard, "soft": store.BounceSoft, "complained": store.BounceComplaint}
			if k, ok := wantCounts[f.Action]; ok && (counts[k] != 1 || len(counts) != 1) || !ok && len(counts) != 0 {
				t.Errorf("recorded %v", counts)
			}
			if suppressed != (f.Action == "complained") {
				t.Errorf("suppressed: %v", suppressed)
			}
			// Read again (a stop before the message was moved): nothing
			// more.
			again, err := n.HandleBounce(ctx, ev, false)
			if err != nil || (f.Action != "nothing" && !again.Outcome.Duplicate) {
				t.Errorf("the same report again: %+v, %v", again.Outcome, err)
			}
			if c, _ := st.BounceCounts(ctx, 1); len(c) != len(counts) || c[store.BounceHard] != counts[store.BounceHard] || c[store.BounceSoft] != counts[store.BounceSoft] {
				t.Errorf("after reading it again: %v, was %v", c, counts)
			}
		})
	}
}

// TestBounceUnmatched: a report whose return path another secret signed
// and whose Message-ID the ledger lacks names no delivery; its recipient's
// address finds one only when the source is trusted.
func TestBounceUnmatched(t *testing.T) {
	ctx := context.Background()
	_, n, sub := fixtureStore(t)
	other := bounce.VERP{Secret: []byte("another newsletter's secret")}
	ev := bounce.Event{Kind: bounce.Hard, Source: "mail", ID: "mail:x", Recipient: "READER@example.net",
		ReturnPaths: []string{other.Token(1, 1), "notatoken"}, MessageID: "someone.else@example.com"}
	if _, err := n.HandleBounce(ctx, ev, false); !errors.Is(err, ErrUnmatched) {
		t.Errorf("from the mailbox: %v", err)
	}
	res, err := n.HandleBounce(ctx, ev, true)
	if err != nil || res.By != ByAddress || res.Delivery.SubscriberID != sub.ID || res.Outcome.After != store.StatusBounced {
		t.Errorf("from a signed webhook: %+v, %v", res, err)
	}
	ev.Recipient = "stranger@example.net"
	ev.ID = "mail:y"
	if _, err := n.HandleBounce(ctx, ev, true); !errors.Is(err, ErrUnmatched) {
		t.Errorf("a stranger's address: %v", err)
	}
}

// BenchmarkReturnPath is what VERP adds to each message of a send: its
// token (varints and an HMAC-SHA256) and go-mail's envelope sender.
func BenchmarkReturnPath(b *testing.B) {
	st := openStore(b)
	o := testOptions(b)
	o.Bounces.ReturnPathDomain = "bounces.bulletin.example"
	n := newTestNewsletter(b, st, o)
	is, err := st.Issue(context.Background(), 1)
	if err != nil {
		b.Fatal(err)
	}
	r, err := n.renderIssue(mailing{Issue: is}, false)
	if err != nil {
		b.Fatal(err)
	}
	msg, err := n.personalMsg(r, "reader@example.org", "Reader", "bench@bulletin.example")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := n.setReturnPath(msg.msg, 12, int64(i)); err != nil {
			b.Fatal(err)
		}
	}
}
