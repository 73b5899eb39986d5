package newsletter

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/bulletin-app/bulletin/store"
)

// acceptThenDrop is an SMTP server that takes every message but, for the
// first one sent to dropFor, closes the connection instead of answering
// 250: the message arrived, the sender cannot know it.
type acceptThenDrop struct {
	dropFor string
	mu      sync.Mutex
	dropped bool
	count   map[string]int
}

type dropSession struct {
	b  *acceptThenDrop
	c  *smtp.Conn
	to []string
}

func (s *dropSession) Reset()                                    { s.to = nil }
func (s *dropSession) Logout() error                             { return nil }
func (s *dropSession) Mail(string, *smtp.MailOptions) error      { return nil }
func (s *dropSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = append(s.to, to); return nil }
func (s *dropSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	drop := false
	for _, rc := range s.to {
		s.b.count[strings.ToLower(rc)]++
		if strings.EqualFold(rc, s.b.dropFor) && !s.b.dropped {
			drop = true
		}
	}
	if drop {
		s.b.dropped = true
		s.c.Conn().Close()
	}
	return nil
}

func startAcceptThenDrop(t *testing.T, dropFor string) (*acceptThenDrop, string, int) {
	t.Helper()
	b := &acceptThenDrop{dropFor: dropFor, count: map[string]int{}}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &dropSession{b: b, c: c}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	a := l.Addr().(*net.TCPAddr)
	return b, a.IP.String(), a.Port
}

// TestLostReplyIsNotSentAgain: when the connection breaks after the message
// was handed over and before the server's reply was read, the server may
// well have accepted it. Sending it again could give the subscriber a second
// copy, so the row stays "sending" (unconfirmed), as after a crash.
func TestLostReplyIsNotSentAgain(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	emails := addSubscribers(t, st, 3)
	b, host, port := startAcceptThenDrop(t, emails[1])
	o := testOptions(t)
	o.OutboxDir = ""
	o.SMTP = SMTP{Host: host, Port: port, TLS: "none"}
	o.Concurrency = 1
	n := newTestNewsletter(t, st, o)
	sum, err := n.Send(ctx, SendRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range emails {
		b.mu.Lock()
		c := b.count[e]
		b.mu.Unlock()
		if c != 1 {
			t.Errorf("%s got %d copies, want 1", e, c)
		}
	}
	if sum.Sent != 2 || sum.Unconfirmed != 1 {
		t.Errorf("summary %+v, want 2 sent and 1 unconfirmed", sum)
	}
	rows, err := st.Deliveries(ctx, 1, store.DeliverySending, false, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Email != emails[1] {
		t.Errorf("rows left sending: %+v, want only %s's", rows, emails[1])
	}
	// A later run does not send it either.
	if _, err := n.Send(ctx, SendRequest{}); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.count[emails[1]]; c != 1 {
		t.Errorf("after a second run %s got %d copies, want 1", emails[1], c)
	}
}

// TestResendUnconfirmed: the operator can choose to send the rows a lost
// reply left unconfirmed; only those go again, and then count as sent.
func TestResendUnconfirmed(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	emails := addSubscribers(t, st, 3)
	b, host, port := startAcceptThenDrop(t, emails[1])
	o := testOptions(t)
	o.OutboxDir = ""
	o.SMTP = SMTP{Host: host, Port: port, TLS: "none"}
	o.Concurrency = 1
	n := newTestNewsletter(t, st, o)
	sum, err := n.Send(ctx, SendRequest{})
	if err != nil || sum.NewUnconfirmed != 1 || sum.Undelivered() != 1 {
		t.Fatalf("first send: %+v %v", sum, err)
	}
	// A later plain send reports the row, but it was not this run's doing.
	if sum, err := n.Send(ctx, SendRequest{}); err != nil || sum.Unconfirmed != 1 || sum.Undelivered() != 0 {
		t.Fatalf("second send: %+v %v", sum, err)
	}
	sum, err = n.Send(ctx, SendRequest{ResendUnconfirmed: true})
	if err != nil || sum.Sent != 1 || sum.Total != 1 {
		t.Fatalf("resend unconfirmed: %+v %v", sum, err)
	}
	b.mu.Lock()
	for i, e := range emails {
		want := 1
		if i == 1 {
			want = 2 // the operator chose a possible duplicate
		}
		if c := b.count[e]; c != want {
			t.Errorf("%s got %d copies, want %d", e, c, want)
		}
	}
	b.mu.Unlock()
	counts, _ := st.DeliveryCounts(ctx, 1)
	if counts[store.DeliverySent] != 3 || counts[store.DeliverySending] != 0 {
		t.Errorf("ledger after the resend: %v", counts)
	}
}
