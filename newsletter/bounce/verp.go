package bounce

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"regexp"
	"strings"
)

// LocalPart is what the return paths VERP makes start with, before the
// "+" and the token: bounces+TOKEN@domain.
const LocalPart = "bounces"

// VERP makes and reads variable envelope return paths: each message's
// envelope sender names its delivery (issue and subscriber), so that the
// bounce it causes, sent back to that address, says which delivery failed
// without parsing guesswork. The token is short and signed: nobody
// without the secret can make one that names another delivery.
type VERP struct {
	Secret []byte
	Domain string // right of the @; receiving mail for bounces+*@Domain
}

// tokenEncoding is lower-case base32 without padding: a local part may be
// lower-cased on the way (RFC 5321 lets the receiving side fold it), and
// base32 survives that.
var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// macSize is how much of the HMAC a token keeps: 64 bits, against
// forgeries that must each be a mail or a request.
const macSize = 8

// Token returns the token of a delivery: its issue and subscriber as
// varints, then the truncated HMAC of both.
func (v VERP) Token(issue int, subscriberID int64) string {
	if subscriberID < 0 || issue < -1<<31 || issue > 1<<31-1 {
		return ""
	}
	// A weekly digest is numbered below zero: its 32-bit two's
	// complement, which no issue's number reaches.
	buf := binary.AppendUvarint(nil, uint64(uint32(int32(issue))))
	buf = binary.AppendUvarint(buf, uint64(subscriberID))
	buf = append(buf, v.mac(buf)...)
	return tokenEncoding.EncodeToString(buf)
}

// Address returns the return path of a delivery: bounces+TOKEN@Domain.
func (v VERP) Address(issue int, subscriberID int64) string {
	return LocalPart + "+" + v.Token(issue, subscriberID) + "@" + v.Domain
}

func (v VERP) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, v.Secret)
	m.Write([]byte("bulletin return path v1\n"))
	m.Write(payload)
	return m.Sum(nil)[:macSize]
}

// Parse reads a token, or an address that holds one (bounces+TOKEN@any
// domain: a forwarder may rewrite the domain, the signature is what
// counts), and returns the delivery it names. ok is false for anything
// this secret did not sign.
func (v VERP) Parse(s string) (issue int, subscriberID int64, ok bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if m := verpAddress.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	if len(s) == 0 || len(s) > 40 {
		return 0, 0, false
	}
	b, err := tokenEncoding.DecodeString(s)
	// Only the one spelling Token writes: base32 lets trailing bits and
	// characters vary.
	if err != nil || len(b) <= macSize || tokenEncoding.EncodeToString(b) != s {
		return 0, 0, false
	}
	payload, mac := b[:len(b)-macSize], b[len(b)-macSize:]
	if !hmac.Equal(mac, v.mac(payload)) {
		return 0, 0, false
	}
	is, n := binary.Uvarint(payload)
	if n <= 0 || is > 1<<32-1 {
		return 0, 0, false
	}
	sub, m := binary.Uvarint(payload[n:])
	if m <= 0 || n+m != len(payload) || sub > 1<<63-1 {
		return 0, 0, false
	}
	return int(int32(uint32(is))), int64(sub), true
}

// verpAddress finds return paths in text: in a header, in an SRS-rewritten
// address (SRS0=hash=tt=domain=bounces+TOKEN@forwarder), in a returned
// message.
var verpAddress = regexp.MustCompile(`(?i)\b` + LocalPart + `\+([a-z2-7]{8,40})@`)

// findReturnPaths returns the tokens of the return paths in s, in order,
// without repeats.
func findReturnPaths(s string, seen []string) []string {
	for _, m := range verpAddress.FindAllStringSubmatch(s, 8) {
		t := strings.ToLower(m[1])
		dup := false
		for _, x := range seen {
			dup = dup || x == t
		}
		if !dup {
			seen = append(seen, t)
		}
	}
	return seen
}
