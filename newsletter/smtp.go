package newsletter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"strings"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// smtpConn is one connection to the SMTP server, dialled on first use and
// again after a network error.
type smtpConn struct {
	client  *gomail.Client
	timeout func() error
	render  func(*outgoing) ([]byte, error)
	c       *smtp.Client
	dotted  bytes.Buffer // the message as DATA carries it, reused
	// pipelining says whether the server takes commands in groups
	// (RFC 2920); mailParams is what MAIL FROM says after the address.
	pipelining bool
	mailParams string
}

func (n *Newsletter) newSMTPClient() (*gomail.Client, error) {
	s := n.opts.SMTP
	opts := []gomail.Option{
		gomail.WithTimeout(s.Timeout),
		// One transaction after another on a connection needs neither a
		// NOOP before nor an RSET after it; both would cost a round trip.
		gomail.WithoutNoop(), gomail.WithoutRset(),
	}
	port := s.Port
	switch s.TLS {
	case "implicit":
		opts = append(opts, gomail.WithSSL())
		if port == 0 {
			port = 465
		}
	case "mandatory":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if port == 0 {
		port = 587
	}
	opts = append(opts, gomail.WithPort(port))
	if s.HELO != "" {
		opts = append(opts, gomail.WithHELO(s.HELO))
	}
	if s.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.Username), gomail.WithPassword(s.Password))
	}
	c, err := gomail.NewClient(s.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp client for %s: %w", s.Host, err)
	}
	return c, nil
}

func (s *smtpConn) deliver(ctx context.Context, msg *outgoing, rcpt string, h handover) error {
	// The message is written whole before the transaction starts: a
	// failure to render it leaves nothing half-sent.
	body, err := s.render(msg)
	if err != nil {
		return &sendError{err: err}
	}
	if s.c == nil {
		c, err := s.client.DialToSMTPClientWithContext(ctx)
		if err != nil {
			return classify("connect", err)
		}
		s.c = c
		s.pipelining, _ = c.Extension("PIPELINING")
		// The parameters that go-mail's own MAIL FROM adds.
		s.mailParams = ""
		if ok, _ := c.Extension("8BITMIME"); ok {
			s.mailParams += " BODY=8BITMIME"
		}
		if ok, _ := c.Extension("SMTPUTF8"); ok {
			s.mailParams += " SMTPUTF8"
		}
	}
	if err := s.timeout(); err != nil {
		s.close()
		return classify("connect", err)
	}
	committing := false
	defer h.begin(&committing)()
	from, err := msg.msg.GetSender(false)
	if err != nil {
		return &sendError{err: err}
	}
	// The envelope takes addresses in angle brackets, quoted as needed;
	// go-mail formats them from the To header, which holds rcpt.
	rcpts, err := msg.msg.GetRecipients()
	if err != nil {
		return &sendError{err: err}
	}
	if s.pipelining {
		if err := s.pipelinedEnvelope(from, rcpts); err != nil {
			return err
		}
	} else {
		if err := s.c.Mail(from); err != nil {
			return s.fail("MAIL FROM", err)
		}
		for _, to := range rcpts {
			if err := s.c.Rcpt(to); err != nil {
				return s.fail("RCPT TO", err)
			}
		}
		if err := s.dataCommand(); err != nil {
			return err
		}
	}
	// The whole body goes out in one write, dot-stuffed in one pass, and
	// is on the socket before the ledger says "sending": what is left to
	// write after the commit is the final ".", a single small write, which
	// keeps the window where a crash loses a message as short as it can be.
	t := s.c.Text
	s.dotted.Reset()
	dotStuff(&s.dotted, body)
	if _, err := t.W.Write(s.dotted.Bytes()); err != nil {
		// The transaction cannot be ended without sending the message:
		// drop the connection, which makes the server discard it.
		s.drop()
		return classify("write message", err)
	}
	if err := t.W.Flush(); err != nil {
		s.drop()
		return classify("write message", err)
	}
	committing = true
	if err := h.commit(); err != nil {
		s.drop()
		return errCommit{err}
	}
	t.W.WriteString(".\r\n")
	if err := t.W.Flush(); err != nil {
		s.drop()
		return &sendError{unknown: true, err: fmt.Errorf("end of DATA: %w", err)}
	}
	if _, _, err := t.ReadResponse(250); err != nil {
		var tp *textproto.Error
		if !errors.As(err, &tp) {
			s.drop()
			return &sendError{unknown: true, err: fmt.Errorf("end of DATA: %w", err)}
		}
		return classify("end of DATA", err)
	}
	return nil
}

// dataCommand sends DATA and reads the server's 354, for servers that do
// not pipeline.
func (s *smtpConn) dataCommand() error {
	t := s.c.Text
	t.W.WriteString("DATA\r\n")
	if err := t.W.Flush(); err != nil {
		s.drop()
		return classify("DATA", err)
	}
	if _, _, err := t.ReadResponse(354); err != nil {
		return s.fail("DATA", err)
	}
	return nil
}

// pipelinedEnvelope sends MAIL FROM, RCPT TO and DATA in one write and
// reads their replies after (RFC 2920): one round trip and one write per
// message instead of three. The message body follows.
func (s *smtpConn) pipelinedEnvelope(from string, rcpts []string) error {
	cmds := make([]string, 0, len(rcpts)+2)
	cmds = append(cmds, "MAIL FROM:"+from+s.mailParams)
	for _, to := range rcpts {
		cmds = append(cmds, "RCPT TO:"+to)
	}
	cmds = append(cmds, "DATA")
	for _, c := range cmds {
		if strings.ContainsAny(c, "\r\n") {
			return &sendError{err: fmt.Errorf("line break in SMTP command %q", c)}
		}
	}
	t := s.c.Text
	for _, c := range cmds {
		t.W.WriteString(c)
		t.W.WriteString("\r\n")
	}
	if err := t.W.Flush(); err != nil {
		s.drop()
		return classify("MAIL FROM", err)
	}
	// Every reply is read, failed or not, so that none is later taken for
	// the reply to another command.
	var first *sendError
	note := func(stage string, err error) {
		if err != nil && first == nil {
			first = classify(stage, err)
		}
	}
	_, _, err := t.ReadResponse(250)
	note("MAIL FROM", err)
	for range rcpts {
		_, _, err = t.ReadResponse(25)
		note("RCPT TO", err)
	}
	_, _, err = t.ReadResponse(354)
	switch {
	case first == nil && err == nil:
		return nil
	case err == nil:
		// The server waits for a message although a command before DATA
		// failed: only dropping the connection ends that without one.
		s.drop()
		return first
	}
	note("DATA", err)
	if first.code == 0 || s.c.Reset() != nil {
		s.drop()
	}
	return first
}

// fail classifies an error before DATA and gets the connection ready for
// the next message.
func (s *smtpConn) fail(stage string, err error) error {
	se := classify(stage, err)
	if se.code == 0 || s.c.Reset() != nil {
		s.drop()
	}
	return se
}

func (s *smtpConn) drop() {
	if s.c != nil {
		s.c.Close()
		s.c = nil
	}
}

func (s *smtpConn) close() {
	if s.c != nil {
		s.c.Quit()
		s.drop()
	}
}
