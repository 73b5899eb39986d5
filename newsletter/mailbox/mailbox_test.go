package mailbox_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/bulletin-app/bulletin/internal/imaptest"
	"github.com/bulletin-app/bulletin/internal/shutdown"
	"github.com/bulletin-app/bulletin/newsletter/mailbox"
)

func options(s *imaptest.Server) mailbox.Options {
	return mailbox.Options{Host: s.Host, Port: s.Port, TLS: s.TLS, TLSConfig: s.TLSConfig,
		Username: s.Username, Password: s.Password,
		Folder: "INBOX", ProcessedFolder: "bulletin-processed", UnhandledFolder: "bulletin-unhandled"}
}

func message(i int, kind string) []byte {
	return fmt.Appendf(nil, "From: MAILER-DAEMON@mx.example.net\r\nTo: bounces+x@bounces.example.org\r\n"+
		"Subject: %s %d\r\nMessage-ID: <m%d@mx.example.net>\r\n\r\nbody %d\r\n", kind, i, i, i)
}

// verdicts files "bounce" messages as processed and the rest unhandled,
// and keeps what it was given.
type verdicts struct {
	got [][]byte
}

func (v *verdicts) handle(_ context.Context, raw []byte) (mailbox.Verdict, error) {
	v.got = append(v.got, raw)
	if bytes.Contains(raw, []byte("Subject: bounce")) {
		return mailbox.Processed, nil
	}
	return mailbox.Unhandled, nil
}

// servers are the in-process servers the tests run on: with MOVE, and
// without it (with and without UIDPLUS), and over TLS.
var servers = []struct {
	name string
	o    imaptest.Options
}{
	{"move", imaptest.Options{}},
	{"copy-uidplus", imaptest.Options{NoMove: true}},
	{"copy-expunge", imaptest.Options{NoMove: true, NoUIDPlus: true}},
	{"move-tls", imaptest.Options{TLS: true}},
}

// TestProcess: every message is handed over once, byte for byte, and
// filed by its verdict; the folder read is empty after, and a second run
// reads nothing.
func TestProcess(t *testing.T) {
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			s := imaptest.StartMemory(t, srv.o)
			testProcess(t, s)
		})
	}
}

func testProcess(t *testing.T, s *imaptest.Server) {
	ctx := context.Background()
	var sent [][]byte
	for i := range 5 {
		kind := "bounce"
		if i == 2 {
			kind = "hello"
		}
		sent = append(sent, message(i, kind))
		s.Append(t, "INBOX", sent[i])
	}
	v := &verdicts{}
	sum, err := mailbox.Process(ctx, options(s), v.handle)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 5 || sum.Processed != 4 || sum.Unhandled != 1 || sum.Remaining != 0 {
		t.Errorf("summary %+v", sum)
	}
	for i := range sent {
		if i >= len(v.got) || !bytes.Equal(v.got[i], sent[i]) {
			t.Errorf("message %d: handed over differently, or out of order", i)
		}
	}
	if n := s.Count(t, "INBOX"); n != 0 {
		t.Errorf("INBOX keeps %d messages", n)
	}
	processed, unhandled := s.Messages(t, "bulletin-processed"), s.Messages(t, "bulletin-unhandled")
	if len(processed) != 4 || len(unhandled) != 1 || !bytes.Equal(unhandled[0], sent[2]) {
		t.Errorf("processed %d, unhandled %d", len(processed), len(unhandled))
	}
	again := &verdicts{}
	if sum, err := mailbox.Process(ctx, options(s), again.handle); err != nil || sum.Read != 0 || len(again.got) != 0 {
		t.Errorf("a second run: %+v, %v", sum, err)
	}
}

// TestProcessStop: a handler's error stops the run with the message (and
// those after it) left in the folder; the next run goes on. A stop after
// the handler acted and before the move leaves the message to be read
// again, with the same bytes, so that an idempotent handler counts it once.
func TestProcessStop(t *testing.T) {
	ctx := context.Background()
	s := imaptest.StartMemory(t, imaptest.Options{NoMove: true})
	for i := range 5 {
		s.Append(t, "INBOX", message(i, "bounce"))
	}
	calls := 0
	failThird := func(_ context.Context, raw []byte) (mailbox.Verdict, error) {
		if calls++; calls == 3 {
			return 0, errors.New("the database is down")
		}
		return mailbox.Processed, nil
	}
	sum, err := mailbox.Process(ctx, options(s), failThird)
	if err == nil || sum.Processed != 2 || sum.Remaining != 3 {
		t.Errorf("run with a failing handler: %+v, %v", sum, err)
	}
	if n := s.Count(t, "INBOX"); n != 3 {
		t.Errorf("INBOX keeps %d, want 3", n)
	}

	// The process is stopped right after acting on the next message.
	acted := map[[32]byte]int{}
	stopping, stop := context.WithCancel(ctx)
	crash := func(_ context.Context, raw []byte) (mailbox.Verdict, error) {
		acted[sha256.Sum256(raw)]++
		stop()
		return mailbox.Processed, nil
	}
	if _, err := mailbox.Process(stopping, options(s), crash); err == nil {
		t.Error("a run stopped half way reports no error")
	}
	if n := s.Count(t, "INBOX"); n != 3 {
		t.Errorf("after the stop INBOX keeps %d, want 3: nothing lost, nothing moved", n)
	}
	idempotent := func(_ context.Context, raw []byte) (mailbox.Verdict, error) {
		acted[sha256.Sum256(raw)]++
		return mailbox.Processed, nil
	}
	if sum, err := mailbox.Process(ctx, options(s), idempotent); err != nil || sum.Processed != 3 {
		t.Errorf("the run after: %+v, %v", sum, err)
	}
	twice := 0
	for _, n := range acted {
		if n == 2 {
			twice++
		}
	}
	if twice != 1 || len(acted) != 3 {
		t.Errorf("read again after the stop: %d messages twice, %d in all; want 1 and 3", twice, len(acted))
	}
	if n := s.Count(t, "bulletin-processed"); n != 5 {
		t.Errorf("processed holds %d, want 5", n)
	}
}

// TestProcessCopyFails: where MOVE is missing, a COPY that fails leaves
// the message where it was: it is flagged and expunged only once copied.
// (go-imap's own fallback sends COPY, STORE and EXPUNGE at once, and
// would have deleted it.)
func TestProcessCopyFails(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	s := imaptest.StartMemory(t, imaptest.Options{NoMove: true, FailCopy: fail.Load})
	s.Append(t, "INBOX", message(1, "bounce"))
	v := &verdicts{}
	if _, err := mailbox.Process(context.Background(), options(s), v.handle); err == nil || !strings.Contains(err.Error(), "copy") {
		t.Errorf("a failed copy: %v", err)
	}
	if n := s.Count(t, "INBOX"); n != 1 {
		t.Fatalf("INBOX keeps %d messages after a failed copy, want 1", n)
	}
	fail.Store(false)
	if sum, err := mailbox.Process(context.Background(), options(s), v.handle); err != nil || sum.Processed != 1 {
		t.Errorf("once copies work: %+v, %v", sum, err)
	}
}

// TestProcessBounds: a run reads at most MaxMessages, and at most
// MaxBytes of each.
func TestProcessBounds(t *testing.T) {
	s := imaptest.StartMemory(t, imaptest.Options{})
	big := append(message(0, "bounce"), bytes.Repeat([]byte("x"), 10000)...)
	s.Append(t, "INBOX", big)
	for i := 1; i < 4; i++ {
		s.Append(t, "INBOX", message(i, "bounce"))
	}
	o := options(s)
	o.MaxMessages, o.MaxBytes = 2, 1000
	v := &verdicts{}
	sum, err := mailbox.Process(context.Background(), o, v.handle)
	if err != nil || sum.Read != 2 || sum.Remaining != 2 {
		t.Errorf("bounded run: %+v, %v", sum, err)
	}
	if len(v.got) == 0 || len(v.got[0]) != 1000 || !bytes.Equal(v.got[0], big[:1000]) {
		t.Errorf("read %d bytes of a big message, want its first 1000", len(v.got[0]))
	}
}

func TestProcessLogin(t *testing.T) {
	s := imaptest.StartMemory(t, imaptest.Options{})
	o := options(s)
	o.Password = "wrong"
	if _, err := mailbox.Process(context.Background(), o, (&verdicts{}).handle); err == nil || !strings.Contains(err.Error(), "log in") {
		t.Errorf("a wrong password: %v", err)
	}
	o = options(s)
	o.ProcessedFolder = "INBOX"
	if _, err := mailbox.Process(context.Background(), o, (&verdicts{}).handle); err == nil {
		t.Error("moving to the folder read was accepted")
	}
}

// TestProcessDovecot runs the same on Debian's Dovecot, with its MOVE and
// without (copy, flag, expunge against a real server).
func TestProcessDovecot(t *testing.T) {
	for _, noMove := range []bool{false, true} {
		t.Run(fmt.Sprintf("nomove=%v", noMove), func(t *testing.T) {
			s := imaptest.StartDovecot(t, imaptest.DovecotOptions{NoMove: noMove})
			if caps := s.Caps(t); caps.Has(imap.CapMove) == noMove || !caps.Has(imap.CapUIDPlus) {
				t.Fatalf("dovecot announces %v", caps)
			}
			testProcess(t, s)
		})
	}
}

// TestProcessShutdown: a stop asked for between messages ends the run
// after the message in hand, which is filed; the rest wait.
func TestProcessShutdown(t *testing.T) {
	s := imaptest.StartMemory(t, imaptest.Options{})
	for i := range 3 {
		s.Append(t, "INBOX", message(i, "bounce"))
	}
	stop := make(chan struct{})
	ctx := shutdown.WithStop(context.Background(), stop)
	first := func(_ context.Context, raw []byte) (mailbox.Verdict, error) {
		close(stop) // the signal arrives while the first message is handled
		return mailbox.Processed, nil
	}
	sum, err := mailbox.Process(ctx, options(s), first)
	if !errors.Is(err, shutdown.ErrStopped) || sum.Processed != 1 || sum.Remaining != 2 {
		t.Errorf("stopped run: %+v, %v", sum, err)
	}
	if n := s.Count(t, "bulletin-processed"); n != 1 {
		t.Errorf("processed holds %d, want the one handled", n)
	}
}
