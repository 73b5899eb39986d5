package newsletter

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"regexp"

	gomail "github.com/wneessen/go-mail"
)

// A conn hands messages to where they go: an SMTP server or the outbox. Each
// worker has its own, so SMTP connections are reused message after message.
type conn interface {
	// deliver sends msg to rcpt, telling h where it stands (see handover).
	deliver(ctx context.Context, msg *outgoing, rcpt string, h handover) error
	close()
}

// handover is how a conn tells the send where it stands with a message.
type handover struct {
	// start, when set, is called as the conn begins the transaction of the
	// message, and abandon when it then ends without calling commit: the
	// ledger writer holds a claim for the claims of transactions under way.
	start, abandon func()
	// commit is called at the last moment before the message is handed
	// over for good (before the final "." of DATA, or before the outbox
	// file is renamed into place); if it fails, nothing is handed over.
	commit func() error
}

// begin calls h.start, and returns what to call on return: abandon, unless
// commit was reached (committing set).
func (h handover) begin(committing *bool) func() {
	if h.start == nil {
		return func() {}
	}
	h.start()
	return func() {
		if !*committing {
			h.abandon()
		}
	}
}

// sendError is a failed delivery, classified.
type sendError struct {
	temp bool // worth retrying: 4xx reply or a network error
	// unknown: the connection broke after the final "." may have gone out
	// and before the reply was read. The server may have accepted the
	// message; sending it again could deliver a second copy.
	unknown  bool
	code     int    // SMTP reply code, 0 for network errors
	enhanced string // RFC 3463 status code, "5.1.1"
	err      error
}

func (e *sendError) Error() string { return e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// bounced says whether the reply means the mailbox does not exist, so that
// the subscriber is marked bounced rather than tried again next issue.
func (e *sendError) bounced() bool {
	if e.temp || e.code < 500 {
		return false
	}
	switch e.enhanced {
	case "5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10", "5.2.1":
		return true
	case "":
		return (e.code == 550 || e.code == 551 || e.code == 553) && unknownUser.MatchString(e.err.Error())
	}
	return false
}

var (
	enhancedCode = regexp.MustCompile(`\b[245]\.\d{1,3}\.\d{1,3}\b`)
	unknownUser  = regexp.MustCompile(`(?i)user unknown|unknown user|no such (user|mailbox|recipient)|mailbox (unavailable|not found)|does not exist`)
)

// classify turns an SMTP client error into a sendError.
func classify(stage string, err error) *sendError {
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return &sendError{
			temp:     tp.Code >= 400 && tp.Code < 500,
			code:     tp.Code,
			enhanced: enhancedCode.FindString(tp.Msg),
			err:      fmt.Errorf("%s: %d %s", stage, tp.Code, tp.Msg),
		}
	}
	return &sendError{temp: true, err: fmt.Errorf("%s: %w", stage, err)}
}

// errCommit marks a failure of the commit hook, which is not the server's.
type errCommit struct{ err error }

func (e errCommit) Error() string { return e.err.Error() }
func (e errCommit) Unwrap() error { return e.err }

// newConn opens a conn of the configured kind; name picks outbox file names.
func (n *Newsletter) newConn(client *gomail.Client, name func(rcpt string) string) conn {
	if n.opts.SMTP.Host == "" {
		return &outboxConn{dir: n.opts.OutboxDir, name: name, write: n.writeMsg}
	}
	sc := &smtpConn{client: client, render: n.renderMsg}
	sc.timeout = func() error { return sc.c.UpdateDeadline(n.opts.SMTP.Timeout) }
	return sc
}
