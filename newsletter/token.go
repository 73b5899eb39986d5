package newsletter

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Token purposes: a confirm token cannot be used to unsubscribe and the
// other way round.
const (
	purposeConfirm     = "confirm"
	purposeUnsubscribe = "unsubscribe"
)

// ErrBadToken is returned for a token that is malformed, forged or expired.
var ErrBadToken = errors.New("invalid or expired link")

// A token is base64url(purpose "\n" expiry "\n" email) "." base64url(HMAC).
// It names only the address it was sent to, so it tells its holder nothing
// about other subscribers, and without the secret it cannot be made or
// altered. Expiry 0 never expires: unsubscribe links must keep working in
// old issues.
func signToken(secret []byte, purpose, email string, expires time.Time) string {
	exp := int64(0)
	if !expires.IsZero() {
		exp = expires.Unix()
	}
	// The address goes in as stored: the store ignores ASCII case only, so
	// a lower-cased "Ö" would find nobody.
	payload := purpose + "\n" + strconv.FormatInt(exp, 10) + "\n" + email
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(tokenMAC(secret, payload))
}

func tokenMAC(secret []byte, payload string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("bulletin token v1\n"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// verifyToken returns the address a token was made for.
func verifyToken(secret []byte, purpose, token string, now time.Time) (string, error) {
	p, s, ok := strings.Cut(token, ".")
	if !ok || len(token) > 1024 {
		return "", ErrBadToken
	}
	enc := base64.RawURLEncoding
	payload, err1 := enc.DecodeString(p)
	mac, err2 := enc.DecodeString(s)
	if err1 != nil || err2 != nil {
		return "", ErrBadToken
	}
	if !hmac.Equal(mac, tokenMAC(secret, string(payload))) {
		return "", ErrBadToken
	}
	fields := strings.SplitN(string(payload), "\n", 3)
	if len(fields) != 3 || fields[0] != purpose {
		return "", ErrBadToken
	}
	exp, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil || (exp != 0 && now.Unix() > exp) {
		return "", ErrBadToken
	}
	return fields[2], nil
}

// UnsubscribeToken returns the token of email's unsubscribe link.
func (n *Newsletter) UnsubscribeToken(email string) string {
	return signToken(n.opts.Secret, purposeUnsubscribe, email, time.Time{})
}

// randomToken returns n random bytes as base32 text.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}
