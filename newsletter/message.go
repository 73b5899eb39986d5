package newsletter

import (
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// dkimSigner returns the signer for messages, or nil when DKIM is off. The
// List-Unsubscribe headers are signed too: RFC 8058 requires it, and Gmail
// and Yahoo ignore one-click unsubscribe otherwise.
func (n *Newsletter) dkimSigner() *gomail.DKIMSigner {
	if n.dkimKey == nil {
		return nil
	}
	s := gomail.NewDKIMSigner(n.opts.DKIM.Domain, n.opts.DKIM.Selector, n.dkimKey)
	h := []string{"From", "To", "Subject", "Date", "Message-ID", "Content-Type", "MIME-Version", "List-Unsubscribe"}
	if n.oneClick() {
		h = append(h, "List-Unsubscribe-Post")
	}
	if n.replyTo != nil {
		h = append(h, "Reply-To")
	}
	s.SignHeaders(h...)
	// Sign works out the key's algorithm on first use and stores it in the
	// signer, which the send's workers share: do that first use here, so
	// that they only read it.
	s.Sign([]byte("From: a@b\r\n"), nil)
	return s
}

// oneClick says whether RFC 8058 one-click unsubscribe can be offered: it
// needs an https URL.
func (n *Newsletter) oneClick() bool { return n.site.Scheme == "https" }

// message is what buildMsg needs to know about one message.
type message struct {
	to        *mail.Address
	messageID string // without angle brackets
	subject   string
	html      string
	text      string
	// writeHTML and writeText, when set, write the parts in place of html
	// and text: a newsletter's parts are written straight from the
	// rendered issue's pieces.
	writeHTML, writeText func(io.Writer) (int64, error)
	// unsubscribe is the subscriber's token for List-Unsubscribe; empty
	// for mail that is not part of the list (confirmations).
	unsubscribe string
}

// buildMsg assembles a message: text part first and HTML last, so that
// clients show the HTML (RFC 2046 puts the preferred part last).
func (n *Newsletter) buildMsg(m message) (*gomail.Msg, error) {
	if err := checkHeaderText("subject", m.subject); err != nil {
		return nil, err
	}
	if err := checkHeaderText("message id", m.messageID); err != nil {
		return nil, err
	}
	opts := []gomail.MsgOption{gomail.WithNoDefaultUserAgent()}
	if n.signer != nil {
		opts = append(opts, gomail.WithDKIM(n.signer))
	}
	msg := gomail.NewMsg(opts...)
	msg.FromMailAddress(n.from)
	if n.replyTo != nil {
		msg.ReplyToMailAddress(n.replyTo)
	}
	to := *m.to
	to.Name = cleanName(to.Name)
	msg.ToMailAddress(&to)
	msg.Subject(m.subject)
	msg.SetMessageIDWithValue(m.messageID)
	msg.SetDate()
	if m.unsubscribe != "" {
		msg.SetBulk()
		uris := []string{n.pageURL("/unsubscribe", m.unsubscribe)}
		if n.opts.ListUnsubscribeMailto != "" {
			uris = append(uris, "mailto:"+n.opts.ListUnsubscribeMailto+"?subject="+url.PathEscape("unsubscribe "+m.unsubscribe))
		}
		if n.oneClick() {
			if err := msg.SetListUnsubscribeOneClick(uris[0], uris[1:]...); err != nil {
				return nil, err
			}
		} else {
			msg.SetListUnsubscribe(uris...)
		}
	}
	if m.writeText != nil {
		msg.SetBodyWriter(gomail.TypeTextPlain, m.writeText)
	} else {
		msg.SetBodyString(gomail.TypeTextPlain, m.text)
	}
	if m.writeHTML != nil {
		msg.AddAlternativeWriter(gomail.TypeTextHTML, m.writeHTML)
	} else {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.html)
	}
	return msg, nil
}

// newMessageID makes a Message-ID for mail outside the ledger.
func (n *Newsletter) newMessageID(kind string) string {
	return fmt.Sprintf("bulletin.%s.%s@%s", kind, strings.ToLower(randomToken(9)), n.msgDomain)
}

// personalMsg builds one subscriber's message of the rendered issue.
func (n *Newsletter) personalMsg(r *rendered, email, name, messageID string) (*gomail.Msg, error) {
	addr, err := ParseAddress(email)
	if err != nil {
		return nil, err
	}
	name = cleanName(name)
	token := n.UnsubscribeToken(addr.Address)
	pc := r.personal(addr.Address, name, n.pageURL("/unsubscribe", token))
	addr.Name = name
	return n.buildMsg(message{to: addr, messageID: messageID, subject: r.subject, writeHTML: pc.writeHTML, writeText: pc.writeText, unsubscribe: token})
}
