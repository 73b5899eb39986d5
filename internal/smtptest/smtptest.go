// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp) in
// the test process: it keeps every message it accepts and can be told to
// fail, so that tests exercise delivery code over the real protocol.
package smtptest

import (
	"bytes"
	"errors"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one accepted message.
type Message struct {
	From string
	To   []string
	Data []byte
}

// Fault is a scripted failure. A Fault applies to the recipients in Rcpts
// (all when empty), for its first Times matching attempts (always when 0).
type Fault struct {
	Rcpts []string
	Times int
	// Code and Enhanced make the server reply with an error: 451/"4.3.0"
	// for a temporary failure, 550/"5.1.1" for an unknown mailbox.
	Code     int
	Enhanced [3]int
	// Stage is where it strikes: "rcpt" (default) or "data" (after the
	// message was read, in place of the 250).
	Stage string
	// Drop closes the connection instead of replying.
	Drop bool
	used int
}

// Server is a running test server.
type Server struct {
	Addr string // host:port
	Host string
	Port int

	srv *smtp.Server

	mu       sync.Mutex
	msgs     []Message
	count    map[string]int
	faults   []*Fault
	conns    int
	discard  bool
	total    int
	attempts map[string]int
	open     int           // connections open now
	maxOpen  int           // most connections open at once
	busy     int           // mail transactions under way now (MAIL FROM to the end of DATA)
	maxBusy  int           // most transactions under way at once
	hold     chan struct{} // while non-nil, MAIL FROM waits for it to close
	times    []time.Time   // when each message was accepted
}

// Start starts a server on 127.0.0.1 and stops it when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := Listen("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Listen starts a server on addr, for use outside tests.
func Listen(addr string) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{count: map[string]int{}, attempts: map[string]int{}}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.conns++
		s.open++
		s.maxOpen = max(s.maxOpen, s.open)
		s.mu.Unlock()
		return &session{s: s, c: c}, nil
	}))
	s.srv.Domain = "localhost"
	// Dropped connections are part of the tests; do not log them.
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.AllowInsecureAuth = true
	s.srv.MaxMessageBytes = 10 << 20
	s.srv.MaxRecipients = 100
	s.srv.ReadTimeout = time.Minute
	s.srv.WriteTimeout = time.Minute
	s.Addr = l.Addr().String()
	ta := l.Addr().(*net.TCPAddr)
	s.Host, s.Port = ta.IP.String(), ta.Port
	go s.srv.Serve(l)
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// AddFault scripts a failure; faults are checked in the order added.
func (s *Server) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// SetDiscard makes the server count messages without keeping them, so that
// benchmarks measure the sender and not the server's memory.
func (s *Server) SetDiscard(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.discard = v
}

// ClearFaults removes all scripted failures.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Messages returns a copy of the accepted messages, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Count returns how many messages were accepted for rcpt.
func (s *Server) Count(rcpt string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count[strings.ToLower(rcpt)]
}

// Counts returns accepted messages per recipient (lower case).
func (s *Server) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.count))
	for k, v := range s.count {
		out[k] = v
	}
	return out
}

// Total returns how many messages were accepted in all.
func (s *Server) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Attempts returns how many RCPT TO commands named rcpt.
func (s *Server) Attempts(rcpt string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[strings.ToLower(rcpt)]
}

// Conns returns how many connections were opened.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// MaxOpen returns the most connections that were open at once.
func (s *Server) MaxOpen() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxOpen
}

// MaxBusy returns the most mail transactions (MAIL FROM to the end of
// DATA) that were under way at once: unlike MaxOpen, it does not count a
// connection the client is done with that the server has yet to see
// close.
func (s *Server) MaxBusy() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxBusy
}

// Open returns how many connections are open now.
func (s *Server) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open
}

// AcceptedAt returns when each message was accepted, in order.
func (s *Server) AcceptedAt() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.times...)
}

// Hold makes every session wait at MAIL FROM until release is called, so
// that a test can see how many connections a sender keeps open at once.
func (s *Server) Hold() (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan struct{})
	s.hold = ch
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.hold = nil
			s.mu.Unlock()
			close(ch)
		})
	}
}

// fault returns the first active fault for rcpt at stage and uses it up.
func (s *Server) fault(stage string, rcpts []string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		st := f.Stage
		if st == "" {
			st = "rcpt"
		}
		if st != stage || (f.Times > 0 && f.used >= f.Times) || !matches(f.Rcpts, rcpts) {
			continue
		}
		f.used++
		return f
	}
	return nil
}

func matches(want, got []string) bool {
	if len(want) == 0 {
		return true
	}
	for _, w := range want {
		for _, g := range got {
			if strings.EqualFold(w, g) {
				return true
			}
		}
	}
	return false
}

var errDropped = errors.New("connection dropped by test fault")

func (f *Fault) apply(c *smtp.Conn) error {
	if f.Drop {
		c.Conn().Close()
		return errDropped
	}
	return &smtp.SMTPError{Code: f.Code, EnhancedCode: smtp.EnhancedCode(f.Enhanced), Message: "test fault"}
}

type session struct {
	s    *Server
	c    *smtp.Conn
	from string
	to   []string
	inTx bool
}

// endTx ends the session's mail transaction, if one is under way.
func (se *session) endTx() {
	se.s.mu.Lock()
	defer se.s.mu.Unlock()
	if se.inTx {
		se.inTx = false
		se.s.busy--
	}
}

func (se *session) Reset() {
	se.endTx()
	se.from, se.to = "", nil
}

func (se *session) Logout() error {
	se.endTx()
	se.s.mu.Lock()
	se.s.open--
	se.s.mu.Unlock()
	return nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	se.s.mu.Lock()
	hold := se.s.hold
	se.s.mu.Unlock()
	if hold != nil {
		<-hold
	}
	se.s.mu.Lock()
	if !se.inTx {
		se.inTx = true
		se.s.busy++
		se.s.maxBusy = max(se.s.maxBusy, se.s.busy)
	}
	se.s.mu.Unlock()
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.s.mu.Lock()
	se.s.attempts[strings.ToLower(to)]++
	se.s.mu.Unlock()
	if f := se.s.fault("rcpt", []string{to}); f != nil {
		return f.apply(se.c)
	}
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	defer se.endTx()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return err
	}
	if f := se.s.fault("data", se.to); f != nil {
		return f.apply(se.c)
	}
	se.s.mu.Lock()
	defer se.s.mu.Unlock()
	se.s.total++
	se.s.times = append(se.s.times, time.Now())
	for _, rc := range se.to {
		se.s.count[strings.ToLower(rc)]++
	}
	if !se.s.discard {
		se.s.msgs = append(se.s.msgs, Message{From: se.from, To: append([]string(nil), se.to...), Data: buf.Bytes()})
	}
	return nil
}
