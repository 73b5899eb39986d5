// Package bounce reads what mail systems report after a message has left:
// bounces (RFC 3464 delivery status notifications, and the plain-text
// shapes of MTAs and big providers that send none), complaints (RFC 5965
// feedback reports) and the events of sending services' webhooks. It
// turns each into an Event that says what happened (a hard or soft
// bounce, a complaint, or nothing to act on) and how to find the delivery
// it is about: the VERP return path (see VERP), the original Message-ID,
// the recipient's address. It only reads; what an event does to a
// subscriber is decided by the newsletter.
package bounce

import (
	"errors"
	"regexp"
	"strings"
	"time"
)

// Kind is what a report means for the address it is about.
type Kind string

const (
	// None: nothing to act on: a delay warning, a success notice, a
	// "not spam" report.
	None Kind = ""
	// Soft: this message failed, the address may still work (mailbox
	// full, message refused as spam, a server down for days).
	Soft Kind = "soft"
	// Hard: the address does not work (no such mailbox, no such domain).
	Hard Kind = "hard"
	// Complaint: the recipient marked the message as spam.
	Complaint Kind = "complaint"
)

// Event is one report about one delivered message.
type Event struct {
	Kind Kind
	// Source is where it came from: "mail", or the sending service
	// ("ses", "postmark", "mailgun", "sendgrid").
	Source string
	// ID names the report itself, so that one read twice (a webhook
	// retried, a message read again after a stop) is acted on once: the
	// service's event id, or a hash of the message.
	ID string
	// Format is the shape the report came in, for logs: dsn, arf, exim,
	// postfix, qmail, text, or the service's name.
	Format string
	// Recipient is the address that bounced or complained, when the
	// report says.
	Recipient string
	// Action is the DSN's action (failed, delayed...), the feedback type
	// of a complaint, or the service's event type.
	Action string
	// Status is the RFC 3463 status code, like 5.1.1, when known.
	Status string
	// Diagnostic is what the receiving server said, or the service's
	// description, bounded to a few hundred bytes.
	Diagnostic string
	// Reason says, in a few words, why the event has its kind.
	Reason string

	// What finds the delivery, best first:
	// ReturnPaths are the VERP tokens found (see VERP.Parse).
	ReturnPaths []string
	// MessageID is the original message's Message-ID, without <>.
	MessageID string

	// At is when the report says it happened; zero when it does not.
	At time.Time
}

// Errors of ParseMessage. Both mean the message is no report this package
// can read; a caller keeps it for a person to look at.
var (
	// ErrNotReport: a well-formed message that is no bounce or complaint
	// (an auto-reply, a person's answer, a read receipt).
	ErrNotReport = errors.New("not a bounce or complaint report")
	// ErrMalformed: the message cannot be read as mail.
	ErrMalformed = errors.New("malformed message")
)

// maxDiagnostic bounds Event.Diagnostic: enough for any server's sentence.
const maxDiagnostic = 500

var (
	// enhancedCode is an RFC 3463 status code.
	enhancedCode = regexp.MustCompile(`\b([245])\.(\d{1,3})\.(\d{1,3})\b`)
	// basicCode is an SMTP reply code that opens a reply: "550 ", "550-",
	// "554:" (Yahoo's).
	basicCode = regexp.MustCompile(`(?:^|[\s;:(])([245]\d\d)(?:[ :-]|$)`)

	// hardText are the ways servers say that an address does not exist.
	hardText = regexp.MustCompile(`(?i)user unknown|unknown (user|recipient|mailbox)|no such (user|mailbox|recipient|address|account|person)|` +
		`(mailbox|user|recipient|address|account)\b[^.\n]{0,40}\b(does ?n[o']t exist|not found|unknown|disabled|deactivated|inactive|no longer (active|available|in use))|` +
		`does not exist|doesn't exist|address not found|recipient not found|recipientnotfound|invalid (recipient|mailbox|address)|` +
		`unrouteable address|mailbox unavailable|not a valid (mailbox|recipient|address)|doesn't have an? \S+ account|` +
		`account (has been )?(disabled|suspended|closed)|no mailbox here|bad destination mailbox|domain (not found|does not exist)|host or domain name not found`)
	// softText are the ways servers say this message failed and the
	// address may still work.
	softText = regexp.MustCompile(`(?i)mailbox (is )?full|over ?quota|quota exceeded|exceeded (the )?(storage|quota)|insufficient (storage|space)|` +
		`try again later|temporar(il)?y|too many (connections|messages)|rate limit|greylist`)
)

// softPermanent says whether a permanent (5.x.x) status still leaves the
// address working: the mailbox is full, the message too big, or refused
// for what it is or who sent it (security and policy, X.7.*), the
// address not being at fault.
func softPermanent(code string) bool {
	switch {
	case code == "5.2.2", code == "5.2.3", code == "5.3.4":
		return true
	case strings.HasPrefix(code, "5.6."):
		return true
	case strings.HasPrefix(code, "5.7.") && code != "5.7.13": // X.7.13: user account disabled (RFC 7372)
		return true
	}
	return false
}

// statusCode returns the RFC 3463 code in s, if any, dropping a generic
// one ("5.0.0") when s holds a more specific one after it.
func statusCode(s string) string {
	codes := enhancedCode.FindAllString(s, 4)
	for _, c := range codes {
		if !strings.HasSuffix(c, ".0.0") {
			return c
		}
	}
	if len(codes) > 0 {
		return codes[0]
	}
	return ""
}

// classify decides an event's kind from a DSN's action (or "failed" for a
// report that says it is permanent, "" when it does not say), its status
// code and the server's words. It returns the status code it went by.
func classify(action, status, diag string) (kind Kind, code, reason string) {
	switch action = strings.ToLower(strings.TrimSpace(action)); action {
	case "delayed", "delivered", "relayed", "expanded":
		return None, statusCode(status), "action " + action + ": not a failure"
	}
	code = statusCode(status)
	if code == "" || strings.HasSuffix(code, ".0.0") {
		if c := statusCode(diag); c != "" {
			code = c
		}
	}
	if code == "" {
		if m := basicCode.FindStringSubmatch(diag); m != nil {
			code = m[1][:1] + ".0.0"
		}
	}
	switch {
	case strings.HasPrefix(code, "4"):
		return Soft, code, "temporary failure " + code
	case strings.HasPrefix(code, "5") && hardText.MatchString(diag):
		return Hard, code, "permanent failure " + code + ": no such address"
	case strings.HasPrefix(code, "5") && softPermanent(code):
		return Soft, code, "permanent failure " + code + " of this message, not of the address"
	case strings.HasPrefix(code, "5"):
		return Hard, code, "permanent failure " + code
	case strings.HasPrefix(code, "2"):
		return None, code, "success " + code
	case hardText.MatchString(diag):
		return Hard, code, "no such address"
	case softText.MatchString(diag):
		return Soft, code, "temporary failure"
	case action == "failed":
		return Hard, code, "permanent failure"
	}
	return Soft, code, "failure of unknown cause"
}

// clip bounds s, on a rune boundary, with its white space collapsed.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && !validStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func validStart(b byte) bool { return b&0xC0 != 0x80 }

// cleanAddress takes an address out of "rfc822; <a@b>", "<a@b>" or "a@b",
// lower-casing nothing.
func cleanAddress(s string) string {
	s = strings.TrimSpace(s)
	if typ, v, ok := strings.Cut(s, ";"); ok && !strings.Contains(typ, "@") {
		s = strings.TrimSpace(v)
	}
	s = strings.Trim(s, "<> \t\"'")
	if i := strings.IndexAny(s, " \t<>,"); i >= 0 {
		s = s[:i]
	}
	if !strings.Contains(s, "@") || len(s) > 254 {
		return ""
	}
	return s
}

// cleanMessageID takes the id out of "<id>", bounded.
func cleanMessageID(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '<'); i >= 0 {
		if j := strings.IndexByte(s[i:], '>'); j > 0 {
			s = s[i+1 : i+j]
		}
	}
	s = strings.Trim(s, "<> \t")
	if len(s) > 250 || strings.ContainsAny(s, " \t\r\n") {
		return ""
	}
	return s
}
