package newsletter

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrInvalidAddress is wrapped by every address validation error.
var ErrInvalidAddress = errors.New("invalid email address")

// ParseAddress parses an address as people write it ("jane@example.org" or
// "Jane Doe <jane@example.org>") and refuses what would break a header or
// could never be delivered: line breaks and control characters, a name
// without an address, a domain without a dot (other than localhost), and a
// local part that needs quoting ("a b"@example.org). Such an address is
// valid in RFC 5322, but tokens, links, the ledger and SMTP envelopes
// would each have to quote it again, and hardly any mailbox has one: it is
// refused here, at every door (the CLI, the sign-up form and its JSON,
// imports and config), rather than accepted and never confirmed.
func ParseAddress(s string) (*mail.Address, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalidAddress)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return nil, fmt.Errorf("%w %q: contains a line break or control character", ErrInvalidAddress, s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrInvalidAddress, s, err)
	}
	at := strings.LastIndexByte(a.Address, '@')
	if at <= 0 || at == len(a.Address)-1 {
		return nil, fmt.Errorf("%w %q: no address", ErrInvalidAddress, s)
	}
	local, domain := a.Address[:at], a.Address[at+1:]
	if len(local) > 64 || len(a.Address) > 254 {
		return nil, fmt.Errorf("%w %q: too long", ErrInvalidAddress, s)
	}
	if !dotAtom(local) {
		return nil, fmt.Errorf("%w %q: the part before @ needs quoting, which bulletin does not accept", ErrInvalidAddress, s)
	}
	if err := checkDomain(domain); err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrInvalidAddress, s, err)
	}
	// Keep the domain in lower case so that one mailbox is one row; the
	// local part may be case-sensitive and is left alone.
	a.Address = local + "@" + strings.ToLower(domain)
	return a, nil
}

// ValidEmail returns the bare address of s, or an error saying what is wrong.
func ValidEmail(s string) (string, error) {
	a, err := ParseAddress(s)
	if err != nil {
		return "", err
	}
	return a.Address, nil
}

// dotAtom says whether a local part can be written without quotes (RFC
// 5322 dot-atom, with RFC 6531's UTF-8 letters): atoms of atext joined by
// single dots.
func dotAtom(local string) bool {
	if local == "" || local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for _, r := range local {
		switch {
		case r >= 0x80 && unicode.IsPrint(r) && !unicode.IsSpace(r):
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.':
		case strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r):
		default:
			return false
		}
	}
	return true
}

func checkDomain(d string) error {
	if strings.EqualFold(d, "localhost") {
		return nil
	}
	if strings.HasPrefix(d, "[") {
		return errors.New("address literals are not accepted")
	}
	if !strings.Contains(d, ".") {
		return fmt.Errorf("domain %q has no dot", d)
	}
	if len(d) > 253 {
		return fmt.Errorf("domain %q is too long", d)
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("domain %q has an empty or overlong label", d)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("domain %q has a label starting or ending with '-'", d)
		}
		for _, r := range label {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return fmt.Errorf("domain %q contains %q", d, r)
			}
		}
	}
	return nil
}

// checkHeaderText refuses text that would end a header early.
func checkHeaderText(what, s string) error {
	if strings.ContainsAny(s, "\r\n\x00") {
		return fmt.Errorf("%s %q contains a line break", what, s)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s %q is not UTF-8 text (a file in another encoding? save it as UTF-8)", what, s)
	}
	return nil
}

// cleanName makes a stored display name safe for a header: line breaks and
// other control characters become spaces.
func cleanName(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }), " ")
}
