package bounce

import (
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
)

// The plain-text bounces of MTAs that send no RFC 3464 report, or of
// those configured not to: Exim, Postfix without DSN, qmail, and the
// providers built on them (Yahoo's were qmail's). They are read by their
// known wording: who failed, what the server said, and whether the MTA
// gave up or only warns.
var (
	eximIntro    = regexp.MustCompile(`(?i)This message was created automatically by mail delivery software`)
	postfixIntro = regexp.MustCompile(`(?im)This is the mail system at host|^The mail system\s*$`)
	qmailIntro   = regexp.MustCompile(`(?i)This is the qmail-send program|I'm afraid I wasn't able to deliver your message|Sorry, we were unable to deliver your message`)

	// delayText: the MTA still tries; nothing failed yet.
	delayText = words(`THIS IS A WARNING ONLY|still being retried|has not yet been delivered|delivery (has been|is|was) delayed|` +
		`Delayed Mail|will (continue|keep) (to )?(try|retry)|attempts will continue|No action is required on your part|I'm still trying`)
	// permanentText: the MTA gave up.
	permanentText = words(`this is a permanent error|permanent(ly)? (error|failure|fatal)|given up|could ?n[o']t be delivered|` +
		`wasn't delivered|was not delivered|unable to deliver|undeliverable|failed permanently|delivery has failed|The following address\(es\) failed`)

	bounceSubject = regexp.MustCompile(`(?i)undeliver|delivery status notification|returned mail|failure notice|mail delivery (failed|failure|system)|` +
		`delivery (failure|failed|problem|notification)|non[- ]?delivery|could not be delivered|mail system error|warning: message .* delayed|delayed mail`)
	delayedSubject = regexp.MustCompile(`(?i)\bdelayed\b`)
	bounceSender   = regexp.MustCompile(`(?i)mailer-daemon|postmaster|mail delivery (system|subsystem)|mail administrator`)

	// rcptLine is a failed recipient as Postfix and qmail write it:
	// "<a@b>: what the server said", the words on the line or the next.
	rcptLine = regexp.MustCompile(`(?m)^[ \t]*<([^<>\s]+@[^<>\s]+)>(?: \(expanded from <[^>]*>\))?:[ \t]*(.*)$`)
	// eximAddress is a failed recipient as Exim writes it: indented, alone
	// on its line, under "The following address(es) failed:".
	eximAddress = regexp.MustCompile(`(?m)^[ \t]+([^\s<>@:]+@[^\s<>@:]+\.[^\s<>@:]+)[ \t]*$`)

	// separator opens the copy of the returned message in a text bounce.
	separator = regexp.MustCompile(`(?im)^[ \t]*-{2,}.*(copy of the message|original message|below this line|message headers|returned message|undelivered message).*$`)

	msgIDLine      = regexp.MustCompile(`(?im)^Message-ID:[ \t]*(<[^>\r\n]+>)`)
	returnPathLine = regexp.MustCompile(`(?im)^Return-Path:[ \t]*(<[^>\r\n]*>)`)
)

// words compiles a case-insensitive pattern whose spaces match any white
// space: MTAs wrap their sentences where they like.
func words(pattern string) *regexp.Regexp {
	return regexp.MustCompile(`(?i)` + strings.ReplaceAll(pattern, " ", `\s+`))
}

// looksLikeBounce says whether a message that is no RFC 3464 report still
// is a bounce: sent by a mailer daemon, with a bounce's subject, or in the
// words of an MTA's bounce. Auto-replies are not.
func looksLikeBounce(h textproto.MIMEHeader, human string) bool {
	if h.Get("X-Failed-Recipients") != "" {
		return true
	}
	if bounceSender.MatchString(h.Get("From")) || bounceSubject.MatchString(h.Get("Subject")) {
		return true
	}
	return eximIntro.MatchString(human) || postfixIntro.MatchString(human) || qmailIntro.MatchString(human)
}

// readText reads a bounce from its human-readable text. h is the message's
// header, or nil when the message is a report already (a delivery-status
// part without recipients).
func (p *parts) readText(ev *Event, h textproto.MIMEHeader) error {
	text := p.text.String()
	human := text
	if loc := separator.FindStringIndex(text); loc != nil {
		human = text[:loc[0]] // the copy of the message is not the report
	}
	if h != nil && !looksLikeBounce(h, human) {
		return ErrNotReport
	}
	switch {
	case eximIntro.MatchString(human):
		ev.Format = "exim"
	case postfixIntro.MatchString(human):
		ev.Format = "postfix"
	case qmailIntro.MatchString(human):
		ev.Format = "qmail"
	case ev.Format == "":
		ev.Format = "text"
	}

	var diag string
	if h != nil {
		if a := firstAddress(h.Get("X-Failed-Recipients")); a != "" {
			ev.Recipient = a
		}
	}
	if m := rcptLine.FindStringSubmatchIndex(human); m != nil {
		if ev.Recipient == "" {
			ev.Recipient = cleanAddress(human[m[2]:m[3]])
		}
		diag = human[m[4]:m[5]] + " " + block(human[m[1]:])
	} else if m := eximAddress.FindStringSubmatchIndex(human); m != nil {
		if ev.Recipient == "" {
			ev.Recipient = cleanAddress(human[m[2]:m[3]])
		}
		diag = block(human[m[1]:])
	}
	if strings.TrimSpace(diag) == "" {
		diag = human
	}
	ev.Diagnostic = clip(diag, maxDiagnostic)

	switch {
	case delayText.MatchString(human) || h != nil && delayedSubject.MatchString(h.Get("Subject")) && !permanentText.MatchString(human):
		ev.Action = "delayed"
	case permanentText.MatchString(human):
		ev.Action = "failed"
	}
	ev.Kind, ev.Status, ev.Reason = classify(ev.Action, "", diag)
	ev.ReturnPaths = findReturnPaths(text, ev.ReturnPaths)
	return nil
}

// block returns the lines of s up to its first blank line (a few at most):
// what a server said about the recipient named just before.
func block(s string) string {
	s = strings.TrimLeft(s, "\r")
	s = strings.TrimPrefix(s, "\n")
	var out []string
	for i, line := range strings.Split(s, "\n") {
		if strings.TrimSpace(line) == "" || i >= 12 {
			break
		}
		out = append(out, strings.TrimSpace(line))
	}
	return strings.Join(out, " ")
}

func firstAddress(s string) string {
	if list, err := mail.ParseAddressList(s); err == nil && len(list) > 0 {
		return list[0].Address
	}
	return cleanAddress(strings.SplitN(s, ",", 2)[0])
}

// textHeader finds the header of the returned message inside a text
// bounce: after the separator line when there is one, else the
// Message-ID and Return-Path lines it quotes.
func textHeader(text string) textproto.MIMEHeader {
	if loc := separator.FindStringIndex(text); loc != nil {
		rest := strings.TrimLeft(text[loc[1]:], "\r\n \t")
		if h := fieldsHeader([]byte(rest)); h.Get("Message-Id") != "" || h.Get("Return-Path") != "" {
			return h
		}
	}
	h := textproto.MIMEHeader{}
	if m := msgIDLine.FindStringSubmatch(text); m != nil {
		h.Set("Message-Id", m[1])
	}
	if m := returnPathLine.FindStringSubmatch(text); m != nil {
		h.Set("Return-Path", m[1])
	}
	if len(h) == 0 {
		return nil
	}
	return h
}
