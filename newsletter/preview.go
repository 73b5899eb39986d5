package newsletter

import (
	"bytes"
	"context"
	"fmt"
)

// PreviewReader is who a preview is addressed to when no one is named.
const PreviewReader = "Example Reader <reader@example.com>"

// Preview renders an issue's email as a subscriber named "Example Reader"
// at reader@example.com would get it, without sending anything or touching
// the ledger: the operator's look before a send. Issue 0 is the latest.
func (n *Newsletter) Preview(ctx context.Context, issue int) (subject, htmlBody, textBody string, err error) {
	p, err := n.PreviewFor(ctx, issue, "")
	return p.Subject, p.HTML, p.Text, err
}

// MessagePreview is an issue's email as one subscriber would get it.
type MessagePreview struct {
	Issue   int
	Subject string
	// HTML and Text are the two parts' bodies, byte for byte what the
	// send writes into the message for this recipient.
	HTML, Text string
	// Message is the whole message (headers, both parts, the DKIM
	// signature when signing is on), with a Message-ID and a Date of its
	// own: what the mail server would be handed.
	Message []byte
}

// PreviewFor renders an issue's email for to ("Name <address>", or a bare
// address; empty: PreviewReader) with the same rendering and assembly as a
// send, without sending anything or touching the ledger. It works on an
// issue in any state. Issue 0 is the latest.
func (n *Newsletter) PreviewFor(ctx context.Context, issue int, to string) (MessagePreview, error) {
	if to == "" {
		to = PreviewReader
	}
	addr, err := ParseAddress(to)
	if err != nil {
		return MessagePreview{}, err
	}
	is, err := n.loadIssue(ctx, issue)
	if err != nil {
		return MessagePreview{}, err
	}
	r, err := n.renderIssue(is, false)
	if err != nil {
		return MessagePreview{}, err
	}
	name := cleanName(addr.Name)
	p := MessagePreview{Issue: is.Number, Subject: r.subject}
	p.HTML, p.Text = r.personalize(addr.Address, name, n.pageURL("/unsubscribe", n.UnsubscribeToken(addr.Address)), n.PreferencesURL(addr.Address))
	msg, err := n.personalMsg(r, addr.Address, name, n.newMessageID(fmt.Sprintf("preview.%d", is.Number)))
	if err != nil {
		return MessagePreview{}, err
	}
	var buf bytes.Buffer
	if err := n.writeMsg(&buf, msg); err != nil {
		return MessagePreview{}, err
	}
	p.Message = buf.Bytes()
	return p, nil
}
