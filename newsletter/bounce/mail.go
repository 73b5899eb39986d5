package bounce

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
)

// MaxMessageBytes is the most of a message ParseMessage reads: the report
// is at the start; what is past it is the returned message's body.
const MaxMessageBytes = 1 << 20

// Bounds on a message's MIME structure, against messages built to make
// the parser work for nothing.
const (
	maxParts = 64
	maxDepth = 5
	maxText  = 256 << 10 // of human-readable text searched
)

// ParseMessage reads one bounce or complaint, a whole message as it was
// received. It returns ErrNotReport for a message that is no report (an
// auto-reply, say) and ErrMalformed for one that is not mail at all; a
// report it reads has Kind None when there is nothing to act on (a delay
// warning).
func ParseMessage(raw []byte) (Event, error) {
	if len(raw) > MaxMessageBytes {
		raw = raw[:MaxMessageBytes]
	}
	sum := sha256.Sum256(raw)
	ev := Event{Source: "mail", ID: "mail:" + hex.EncodeToString(sum[:16])}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return ev, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	h := textproto.MIMEHeader(msg.Header)
	if d, err := mail.ParseDate(h.Get("Date")); err == nil {
		ev.At = d.UTC()
	}
	// Where the report was delivered to: the return path it was sent to,
	// as the receiving MTA recorded it.
	for _, k := range []string{"Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "X-Delivered-To", "To", "X-Failed-Recipients"} {
		for _, v := range h.Values(k) {
			ev.ReturnPaths = findReturnPaths(v, ev.ReturnPaths)
		}
	}
	body, err := io.ReadAll(msg.Body)
	if err != nil {
		return ev, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	p := &parts{}
	p.walk(h, body, 0)

	mt, params := mediaType(h)
	switch {
	case mt == "multipart/report" && (strings.EqualFold(params["report-type"], "feedback-report") || p.feedback != nil && p.status == nil):
		err = p.arf(&ev)
	case mt == "multipart/report" && p.status != nil:
		err = p.dsn(&ev)
	case p.status != nil && looksLikeBounce(h, ""):
		// A delivery-status part in a message that is not multipart/report
		// (some gateways wrap it in multipart/mixed).
		err = p.dsn(&ev)
	default:
		err = p.readText(&ev, h)
	}
	if err != nil {
		return ev, err
	}
	p.returned(&ev)
	return ev, nil
}

// parts is what walking a message's MIME tree found.
type parts struct {
	n        int
	status   []byte               // the message/delivery-status part
	feedback []byte               // the message/feedback-report part
	orig     textproto.MIMEHeader // the returned message's header
	origText string               // its body, when it came as text
	text     strings.Builder      // human-readable parts, decoded
}

func mediaType(h textproto.MIMEHeader) (string, map[string]string) {
	ct := h.Get("Content-Type")
	if ct == "" {
		return "text/plain", nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		// A parameter the library refuses ("charset=utf-8;") should not
		// hide the type.
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
	}
	return mt, params
}

// walk visits a part (the message itself at depth 0) and what it holds.
func (p *parts) walk(h textproto.MIMEHeader, body []byte, depth int) {
	if p.n++; p.n > maxParts || depth > maxDepth {
		return
	}
	mt, params := mediaType(h)
	if strings.HasPrefix(mt, "multipart/") {
		boundary := params["boundary"]
		if boundary == "" {
			return
		}
		mr := multipart.NewReader(bytes.NewReader(body), boundary)
		for {
			part, err := mr.NextRawPart()
			if err != nil {
				return
			}
			b, err := io.ReadAll(io.LimitReader(part, MaxMessageBytes))
			if err != nil && len(b) == 0 {
				return
			}
			p.walk(part.Header, b, depth+1)
			if p.n > maxParts {
				return
			}
		}
	}
	body = decode(h.Get("Content-Transfer-Encoding"), body)
	switch mt {
	case "message/delivery-status", "message/global-delivery-status":
		if p.status == nil {
			p.status = body
		}
	case "message/feedback-report":
		if p.feedback == nil {
			p.feedback = body
		}
	case "message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers", "message/partial":
		if p.orig == nil {
			p.orig, p.origText = readHeader(body)
		}
	case "text/plain", "text/html", "":
		if depth == 0 || !isAttachment(h) {
			t := strings.ReplaceAll(string(body), "\r\n", "\n")
			if mt == "text/html" {
				t = htmlText(t)
			}
			if room := maxText - p.text.Len(); room > 0 {
				if len(t) > room {
					t = t[:room]
				}
				p.text.WriteString(t)
				p.text.WriteString("\n")
			}
		}
	}
}

func isAttachment(h textproto.MIMEHeader) bool {
	d, _, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	return d == "attachment"
}

// decode undoes a part's transfer encoding; what does not decode is kept
// as it is.
func decode(cte string, b []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		clean := bytes.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, b)
		out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
		n, err := base64.StdEncoding.Decode(out, clean)
		if err != nil && n == 0 {
			return b
		}
		return out[:n]
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
		if err != nil && len(out) == 0 {
			return b
		}
		return out
	}
	return b
}

// readHeader reads a returned message, or its header alone.
func readHeader(b []byte) (textproto.MIMEHeader, string) {
	if !bytes.Contains(b, []byte("\n\n")) && !bytes.Contains(b, []byte("\r\n\r\n")) {
		b = append(append([]byte(nil), b...), "\r\n\r\n"...)
	}
	m, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		return fieldsHeader(b), ""
	}
	rest, _ := io.ReadAll(io.LimitReader(m.Body, maxText))
	return textproto.MIMEHeader(m.Header), string(rest)
}

// fieldsHeader reads "Name: value" lines leniently into a header: the
// first block of fields of b.
func fieldsHeader(b []byte) textproto.MIMEHeader {
	blocks := fieldBlocks(b)
	if len(blocks) == 0 {
		return textproto.MIMEHeader{}
	}
	return blocks[0]
}

// fieldBlocks reads the blocks of "Name: value" fields that a
// delivery-status or feedback-report part is made of, separated by blank
// lines. It is lenient, as the MTAs that write them are: lines that are
// no field are skipped, folded lines are unfolded.
func fieldBlocks(b []byte) []textproto.MIMEHeader {
	var blocks []textproto.MIMEHeader
	var cur textproto.MIMEHeader
	var last string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			cur, last = nil, ""
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && cur != nil && last != "" {
			vs := cur[last]
			vs[len(vs)-1] += " " + strings.TrimSpace(line)
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") || len(name) > 64 {
			continue
		}
		if cur == nil {
			if len(blocks) >= maxParts {
				break
			}
			cur = textproto.MIMEHeader{}
			blocks = append(blocks, cur)
		}
		last = textproto.CanonicalMIMEHeaderKey(name)
		cur[last] = append(cur[last], strings.TrimSpace(value))
	}
	return blocks
}

// dsn reads an RFC 3464 delivery status notification: the per-message
// fields, then one block per recipient, of which the first that failed
// (else the first) is the event.
func (p *parts) dsn(ev *Event) error {
	ev.Format = "dsn"
	blocks := fieldBlocks(p.status)
	var rcpt textproto.MIMEHeader
	for _, b := range blocks {
		if b.Get("Action") == "" && b.Get("Final-Recipient") == "" {
			if d, err := mail.ParseDate(b.Get("Arrival-Date")); err == nil && ev.At.IsZero() {
				ev.At = d.UTC()
			}
			// Gmail names the original message here.
			ev.MessageID = cleanMessageID(b.Get("X-Original-Message-Id"))
			continue // the per-message fields
		}
		if rcpt == nil || !strings.EqualFold(rcpt.Get("Action"), "failed") && strings.EqualFold(b.Get("Action"), "failed") {
			rcpt = b
		}
	}
	if rcpt == nil {
		// A delivery-status part with no recipient: read what the human
		// part says.
		return p.readText(ev, nil)
	}
	ev.Recipient = cleanAddress(rcpt.Get("Final-Recipient"))
	if ev.Recipient == "" {
		ev.Recipient = cleanAddress(rcpt.Get("Original-Recipient"))
	}
	ev.Action = strings.ToLower(strings.TrimSpace(rcpt.Get("Action")))
	diag := rcpt.Get("Diagnostic-Code")
	if t, v, ok := strings.Cut(diag, ";"); ok && len(t) < 16 {
		diag = v // "smtp; 550 ..."
	}
	ev.Diagnostic = clip(diag, maxDiagnostic)
	status := rcpt.Get("Status")
	if diag == "" {
		// No server's words: the human part may hold them.
		diag = p.text.String()
		if len(diag) > 4096 {
			diag = diag[:4096]
		}
	}
	ev.Kind, ev.Status, ev.Reason = classify(ev.Action, status, diag)
	return nil
}

// arf reads an RFC 5965 feedback report: a complaint, unless its feedback
// type says the message was not spam or reports an authentication failure
// (RFC 6591), which says nothing about the recipient's wishes.
func (p *parts) arf(ev *Event) error {
	ev.Format = "arf"
	f := fieldsHeader(p.feedback)
	ev.Action = strings.ToLower(strings.TrimSpace(f.Get("Feedback-Type")))
	switch ev.Action {
	case "abuse", "fraud", "virus", "other", "":
		ev.Kind, ev.Reason = Complaint, "feedback report: "+orUnknown(ev.Action)
	default: // not-spam, auth-failure, and types yet to come
		ev.Kind, ev.Reason = None, "feedback report of type "+ev.Action+": not a complaint"
	}
	ev.Recipient = cleanAddress(f.Get("Original-Rcpt-To"))
	if ev.Recipient == "" {
		ev.Recipient = cleanAddress(f.Get("Removal-Recipient"))
	}
	ev.ReturnPaths = findReturnPaths(f.Get("Original-Mail-From"), ev.ReturnPaths)
	if d, err := mail.ParseDate(f.Get("Arrival-Date")); err == nil {
		ev.At = d.UTC()
	}
	ev.Diagnostic = clip(f.Get("User-Agent"), maxDiagnostic)
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "type not given"
	}
	return s
}

// returned takes from the returned message (or its header) what names the
// delivery: its Message-ID, and its return path.
func (p *parts) returned(ev *Event) {
	h := p.orig
	if h == nil {
		h = textHeader(p.text.String())
	}
	if h == nil {
		return
	}
	if ev.MessageID == "" {
		ev.MessageID = cleanMessageID(h.Get("Message-Id"))
	}
	for _, k := range []string{"Return-Path", "Sender", "Errors-To"} {
		for _, v := range h.Values(k) {
			ev.ReturnPaths = findReturnPaths(v, ev.ReturnPaths)
		}
	}
	if ev.Recipient == "" {
		if a, err := mail.ParseAddress(h.Get("To")); err == nil {
			ev.Recipient = a.Address
		}
	}
	// A report without structure may still quote the return path in
	// the returned message (a Received line, an X-header) or its text.
	ev.ReturnPaths = findReturnPaths(p.origText, ev.ReturnPaths)
	ev.ReturnPaths = findReturnPaths(p.text.String(), ev.ReturnPaths)
}

// htmlText is the text of an HTML part, roughly: enough to search.
func htmlText(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>' && in:
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&nbsp;", " ", "&#39;", "'", "&quot;", `"`).Replace(b.String())
}
