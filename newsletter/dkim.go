package newsletter

import (
	"crypto"
	"crypto/rsa"
	"fmt"
	"io"

	"github.com/emersion/go-msgauth/dkim"
)

// signedHeaders are the header fields a DKIM signature covers. Those a
// message lacks are signed as absent, so that nobody can add them on the
// way (RFC 6376 §5.4: a confirmation carries no List-Unsubscribe, and none
// can be slipped in). RFC 8058 requires List-Unsubscribe and
// List-Unsubscribe-Post signed; Gmail and Yahoo ignore one-click
// unsubscribe otherwise.
var signedHeaders = []string{
	"From", "Reply-To", "To", "Subject", "Date", "Message-ID",
	"List-Id", "List-Unsubscribe", "List-Unsubscribe-Post",
	"MIME-Version", "Content-Type",
}

// newDKIM checks the key and returns the options every signature is made
// with: relaxed/relaxed, so that the header refolding and whitespace
// changes relays make do not break it.
func newDKIM(key crypto.Signer, domain, selector string) (*dkim.SignOptions, error) {
	if k, ok := key.Public().(*rsa.PublicKey); ok && k.N.BitLen() < 1024 {
		// RFC 8301: verifiers must not accept RSA keys under 1024 bits.
		return nil, fmt.Errorf("RSA key of %d bits: DKIM needs at least 1024 (2048 recommended)", k.N.BitLen())
	}
	o := &dkim.SignOptions{
		Domain:                 domain,
		Selector:               selector,
		Signer:                 key,
		Hash:                   crypto.SHA256,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
		HeaderKeys:             signedHeaders,
	}
	// A trial signature: a key the library cannot use fails here, at
	// start-up, rather than on every message.
	if _, err := signMessage(o, []byte("From: a@b.example\r\n\r\n")); err != nil {
		return nil, err
	}
	return o, nil
}

// signMessage returns the DKIM-Signature header field for msg, a whole
// message with CRLF line ends, ready to be put before it.
func signMessage(o *dkim.SignOptions, msg []byte) (string, error) {
	s, err := dkim.NewSigner(o)
	if err != nil {
		return "", fmt.Errorf("dkim: %w", err)
	}
	if _, err := s.Write(msg); err != nil {
		s.Close()
		return "", fmt.Errorf("dkim: %w", err)
	}
	if err := s.Close(); err != nil {
		return "", fmt.Errorf("dkim: %w", err)
	}
	return s.Signature(), nil
}

// writeMsg writes msg as it goes out. With a DKIM key, the finished bytes
// are signed, exactly as they are written: go-mail's own signer folds its
// h= list inside header names, and verifiers reject what it signs (see
// docs/delivery.md).
func (n *Newsletter) writeMsg(w io.Writer, msg *outgoing) error {
	b, err := n.renderMsg(msg)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// renderMsg returns the bytes of msg, signed when there is a DKIM key.
func (n *Newsletter) renderMsg(msg *outgoing) ([]byte, error) {
	var sign func([]byte) (string, error)
	if n.dkim != nil {
		sign = func(b []byte) (string, error) { return signMessage(n.dkim, b) }
	}
	return msg.render(sign)
}
