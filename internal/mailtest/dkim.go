// Package mailtest checks email as receiving systems do, with tools
// bulletin did not write: DKIM verifiers (go-msgauth and Debian's dkimpy),
// SpamAssassin, the shared mailcheck script, and a real Mailpit server
// with its html-check. Tools that may be missing go through testtool: a
// test skips without them when run by hand and fails under BULLETIN_E2E=1.
package mailtest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/bulletin-app/bulletin/internal/testtool"
)

// Key is a DKIM key as a test needs it: the private key file for bulletin,
// and the public key as a DNS TXT record for verifiers.
type Key struct {
	Name    string
	File    string // PEM private key
	Record  string // v=DKIM1; k=…; p=…
	PubFile string // PEM public key, for mailcheck (RSA only)
}

// RSAKey makes a 2048-bit RSA key.
func RSAKey(t testing.TB) Key {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	k := Key{Name: "rsa-2048", File: filepath.Join(dir, "rsa.pem"), PubFile: filepath.Join(dir, "rsa.pub.pem")}
	WritePEM(t, k.File, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	WritePEM(t, k.PubFile, "PUBLIC KEY", der)
	k.Record = "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	return k
}

// Ed25519Key makes an Ed25519 key (RFC 8463).
func Ed25519Key(t testing.TB) Key {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	k := Key{Name: "ed25519", File: filepath.Join(t.TempDir(), "ed25519.pem")}
	WritePEM(t, k.File, "PRIVATE KEY", der)
	// The record holds the bare 32-byte key.
	k.Record = "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
	return k
}

// WritePEM writes der as a PEM block of type typ.
func WritePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// MustSign lists the header fields every signature of list mail must
// cover: the identity fields, and the list fields (RFC 8058 requires
// List-Unsubscribe and List-Unsubscribe-Post signed).
var MustSign = []string{"from", "to", "subject", "date", "message-id", "list-id", "list-unsubscribe", "list-unsubscribe-post"}

// VerifyDKIM checks raw's one signature with go-msgauth and with dkimpy
// (when python3-dkim is there), both looking the key up in a DNS stand-in
// that returns k's record for selector._domainkey.domain, and checks that
// it covers MustSign.
func VerifyDKIM(t testing.TB, raw []byte, k Key, selector, domain string) {
	t.Helper()
	want := selector + "._domainkey." + domain
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) {
			if name != want {
				t.Errorf("key looked up at %s, want %s", name, want)
			}
			return []string{k.Record}, nil
		},
	})
	if err != nil {
		t.Fatalf("go-msgauth: %v", err)
	}
	if len(vs) != 1 {
		t.Fatalf("go-msgauth found %d signatures, want 1", len(vs))
	}
	if vs[0].Err != nil {
		t.Errorf("go-msgauth (%s): signature does not verify: %v\n%s", k.Name, vs[0].Err, Header(raw))
	}
	var signed []string
	for _, h := range vs[0].HeaderKeys {
		signed = append(signed, strings.ToLower(h))
	}
	for _, h := range MustSign {
		if !slices.Contains(signed, h) {
			t.Errorf("signature does not cover %s (h=%s)", h, strings.Join(signed, ":"))
		}
	}
	if ok, out := Dkimpy(t, raw, k); !ok {
		t.Errorf("dkimpy (%s): signature does not verify: %s\n%s", k.Name, out, Header(raw))
	}
}

// Dkimpy verifies raw with Debian's python3-dkim, as testing.md shows, and
// returns its verdict and what it printed.
func Dkimpy(t testing.TB, raw []byte, k Key) (bool, string) {
	t.Helper()
	py := testtool.NeedPython(t, "dkim")
	dir := t.TempDir()
	msg, rec := filepath.Join(dir, "msg.eml"), filepath.Join(dir, "record")
	if err := os.WriteFile(msg, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rec, []byte(k.Record), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "-c", `import dkim, sys
print(dkim.verify(open(sys.argv[1], "rb").read(), dnsfunc=lambda name, timeout=5: open(sys.argv[2], "rb").read()))`, msg, rec).CombinedOutput()
	if err != nil {
		t.Fatalf("dkimpy: %v\n%s", err, out)
	}
	s := strings.TrimSpace(string(out))
	return s == "True", s
}

// Header returns raw's header, for messages.
func Header(raw []byte) string {
	h, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	return string(h)
}
