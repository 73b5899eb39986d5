package newsletter

import (
	"fmt"
	"mime"
	"net/mail"
	"net/url"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// oneClick says whether RFC 8058 one-click unsubscribe can be offered: it
// needs an https URL.
func (n *Newsletter) oneClick() bool { return n.site.Scheme == "https" }

// listID is the List-Id header (RFC 2919) of the newsletter's messages:
// its title, and an id under the sender's domain that filters can match
// whatever the title becomes.
func (n *Newsletter) makeListID() string {
	local, domain := n.from.Address[:strings.LastIndexByte(n.from.Address, '@')], domainOf(n.from.Address)
	label := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, local)
	id := "<" + label + "." + domain + ">"
	title := cleanName(n.opts.SiteTitle)
	if title == "" {
		return id
	}
	return headerPhrase(title) + " " + id
}

// headerPhrase writes s as an RFC 5322 phrase: as it is when it is plain
// words, quoted when it holds specials, an encoded word when it is not
// ASCII.
func headerPhrase(s string) string {
	plain := true
	for _, r := range s {
		if r >= 0x80 {
			return mime.QEncoding.Encode("utf-8", s)
		}
		if !(r == ' ' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)) {
			plain = false
		}
	}
	if plain {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// message is what buildMsg needs to know about one message.
type message struct {
	to        *mail.Address
	messageID string // without angle brackets
	subject   string
	// text and html are the parts: a string, or a newsletter's pieces
	// with one subscriber's values.
	text, html bodyPart
	// unsubscribe is the subscriber's token for List-Unsubscribe; empty
	// for mail that is not part of the list (confirmations).
	unsubscribe string
}

// buildMsg assembles a message: go-mail's header, and the text part first
// and HTML last, so that clients show the HTML (RFC 2046 puts the
// preferred part last).
func (n *Newsletter) buildMsg(m message) (*outgoing, error) {
	if err := checkHeaderText("subject", m.subject); err != nil {
		return nil, err
	}
	if err := checkHeaderText("message id", m.messageID); err != nil {
		return nil, err
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
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
		msg.SetGenHeaderPreformatted("List-Id", n.listID)
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
	return &outgoing{msg: msg, text: m.text, html: m.html}, nil
}

// newMessageID makes a Message-ID for mail outside the ledger.
func (n *Newsletter) newMessageID(kind string) string {
	return fmt.Sprintf("bulletin.%s.%s@%s", kind, strings.ToLower(randomToken(9)), n.msgDomain)
}

// personalMsg builds one subscriber's message of the rendered issue.
func (n *Newsletter) personalMsg(r *rendered, email, name, messageID string) (*outgoing, error) {
	addr, err := ParseAddress(email)
	if err != nil {
		return nil, err
	}
	name = cleanName(name)
	token := n.UnsubscribeToken(addr.Address)
	pc := r.personal(addr.Address, name, n.pageURL("/unsubscribe", token), n.PreferencesURL(addr.Address))
	addr.Name = name
	return n.buildMsg(message{to: addr, messageID: messageID, subject: r.subject,
		text: piecesPart{&pc.p.text, &pc.text}, html: piecesPart{&pc.p.html, &pc.html}, unsubscribe: token})
}
