package newsletter

import (
	"bytes"
	"context"
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

	"github.com/bulletin-app/bulletin/internal/smtptest"
	"github.com/bulletin-app/bulletin/internal/testtool"
	"github.com/bulletin-app/bulletin/store"
)

// testKey is a DKIM key as a test needs it: the private key file for
// bulletin, and the public key as a DNS TXT record for verifiers.
type testKey struct {
	name    string
	file    string // PEM private key
	record  string // v=DKIM1; k=…; p=…
	pubFile string // PEM public key, for mailcheck (RSA only)
}

func newRSAKey(t testing.TB) testKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	k := testKey{name: "rsa-2048", file: filepath.Join(dir, "rsa.pem"), pubFile: filepath.Join(dir, "rsa.pub.pem")}
	writePEM(t, k.file, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, k.pubFile, "PUBLIC KEY", der)
	k.record = "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	return k
}

func newEd25519Key(t testing.TB) testKey {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	k := testKey{name: "ed25519", file: filepath.Join(t.TempDir(), "ed25519.pem")}
	writePEM(t, k.file, "PRIVATE KEY", der)
	// RFC 8463: the record holds the bare 32-byte key.
	k.record = "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
	return k
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// mustSign lists the header fields every signature must cover.
var mustSign = []string{"from", "to", "subject", "date", "message-id", "list-id", "list-unsubscribe", "list-unsubscribe-post"}

// verifyDKIM checks raw's signature with go-msgauth, which bulletin's
// signing does not share code with beyond the library, and with dkimpy
// (Debian's python3-dkim) when it is there, both looking the key up in a
// DNS stand-in that returns k's record for selector._domainkey.domain.
func verifyDKIM(t *testing.T, raw []byte, k testKey, selector, domain string) {
	t.Helper()
	want := selector + "._domainkey." + domain
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) {
			if name != want {
				t.Errorf("key looked up at %s, want %s", name, want)
			}
			return []string{k.record}, nil
		},
	})
	if err != nil {
		t.Fatalf("go-msgauth: %v", err)
	}
	if len(vs) != 1 {
		t.Fatalf("go-msgauth found %d signatures, want 1", len(vs))
	}
	if vs[0].Err != nil {
		t.Errorf("go-msgauth (%s): signature does not verify: %v\n%s", k.name, vs[0].Err, headerOf(raw))
	}
	var signed []string
	for _, h := range vs[0].HeaderKeys {
		signed = append(signed, strings.ToLower(h))
	}
	for _, h := range mustSign {
		if !slices.Contains(signed, h) {
			t.Errorf("signature does not cover %s (h=%s)", h, strings.Join(signed, ":"))
		}
	}
	dkimpy(t, raw, k)
}

// dkimpy verifies raw with Debian's python3-dkim, as testing.md shows.
func dkimpy(t *testing.T, raw []byte, k testKey) {
	t.Helper()
	py := testtool.NeedPython(t, "dkim")
	dir := t.TempDir()
	msg, rec := filepath.Join(dir, "msg.eml"), filepath.Join(dir, "record")
	if err := os.WriteFile(msg, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rec, []byte(k.record), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "-c", `import dkim, sys
print(dkim.verify(open(sys.argv[1], "rb").read(), dnsfunc=lambda name, timeout=5: open(sys.argv[2], "rb").read()))`, msg, rec).CombinedOutput()
	if err != nil {
		t.Fatalf("dkimpy: %v\n%s", err, out)
	}
	if strings.TrimSpace(string(out)) != "True" {
		t.Errorf("dkimpy (%s): signature does not verify: %s\n%s", k.name, out, headerOf(raw))
	}
}

func headerOf(raw []byte) string {
	h, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	return string(h)
}

// TestDKIMVerifies signs, with RSA-2048 and with Ed25519, every kind of
// message bulletin sends (an issue, a confirmation, a test copy), takes
// each as the SMTP server received it, and has two verifiers check it:
// with a long https site URL, names and a subject that are not ASCII, and
// a subject long enough to be folded. go-mail's own signer failed all of
// them: its folding broke the h= list inside a header name.
func TestDKIMVerifies(t *testing.T) {
	long := "Weekly notes #%d: " + strings.Repeat("a very long subject line that has to be folded, ", 4) + "with ünïcödé — at the end"
	for _, k := range []testKey{newRSAKey(t), newEd25519Key(t)} {
		t.Run(k.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStoreTitled(t, func(n int) string { return strings.Replace(long, "%d", "1", 1) })
			if _, _, err := st.ImportSubscribers(ctx, []store.NewSubscriber{
				{Email: "zoe@example.org", Name: "Zoë Ångström-Łukasiewicz 李小龍", Status: store.StatusConfirmed},
				{Email: "plain@example.org", Status: store.StatusConfirmed},
			}); err != nil {
				t.Fatal(err)
			}
			srv := smtptest.Start(t)
			o := smtpOptions(t, srv)
			o.SiteTitle = "Das Wochenblatt für Ärzte"
			o.SiteURL = "https://newsletters.example-publisher.org/a/rather/long/path/to/the/bulletin/of/the/week"
			o.DKIM = DKIM{KeyFile: k.file, Selector: "sel2026"}
			n := newTestNewsletter(t, st, o)
			if sum, err := n.Send(ctx, SendRequest{}); err != nil || sum.Sent != 2 {
				t.Fatalf("send: %+v, %v", sum, err)
			}
			if err := n.Subscribe(ctx, "new@example.org", "Renée Müller"); err != nil {
				t.Fatal(err)
			}
			if _, err := n.Send(ctx, SendRequest{To: "Ærlig Tester <tester@example.org>"}); err != nil {
				t.Fatal(err)
			}
			msgs := srv.Messages()
			if len(msgs) != 4 {
				t.Fatalf("server received %d messages, want 4", len(msgs))
			}
			for _, m := range msgs {
				t.Run(m.To[0], func(t *testing.T) {
					pm := parseMessage(t, m.Data)
					if strings.HasPrefix(m.To[0], "new@") {
						if !strings.Contains(pm.text, "/confirm?token=") {
							t.Fatalf("not a confirmation: %s", pm.text)
						}
						// A confirmation is not list mail: no List-* headers,
						// and the signature covers their absence.
						for _, h := range []string{"List-Id", "List-Unsubscribe"} {
							if pm.header.Get(h) != "" {
								t.Errorf("confirmation carries %s", h)
							}
						}
					} else if pm.header.Get("List-Id") == "" || pm.header.Get("List-Unsubscribe-Post") == "" {
						t.Errorf("list message without List-Id or List-Unsubscribe-Post:\n%s", headerOf(m.Data))
					}
					verifyDKIM(t, m.Data, k, "sel2026", "bulletin.example")
				})
			}
			// The verifiers are not vacuous: a changed subject fails.
			tampered := bytes.Replace(msgs[0].Data, []byte("\r\nSubject:"), []byte("\r\nSubject: Re:"), 1)
			if bytes.Equal(tampered, msgs[0].Data) {
				t.Fatalf("no Subject to tamper with:\n%q", headerOf(msgs[0].Data))
			}
			vs, err := dkim.VerifyWithOptions(bytes.NewReader(tampered), &dkim.VerifyOptions{
				LookupTXT: func(string) ([]string, error) { return []string{k.record}, nil },
			})
			if err != nil || len(vs) != 1 || vs[0].Err == nil {
				t.Errorf("a tampered message verified: %v %v", vs, err)
			}
		})
	}
}

// TestDKIMOutbox: the .eml files of the outbox carry the same verifiable
// signature as what goes over SMTP.
func TestDKIMOutbox(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	addSubscribers(t, st, 2)
	k := newRSAKey(t)
	o := testOptions(t)
	o.DKIM = DKIM{KeyFile: k.file, Selector: "mail", Domain: "signing.example"}
	n := newTestNewsletter(t, st, o)
	if _, err := n.Send(ctx, SendRequest{}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(o.OutboxDir, "*.eml"))
	if len(files) != 2 {
		t.Fatalf("outbox holds %d files, want 2", len(files))
	}
	for _, f := range files {
		verifyDKIM(t, readFile(t, f), k, "mail", "signing.example")
	}
}

func TestDKIMRefusesShortRSAKey(t *testing.T) {
	t.Setenv("GODEBUG", "rsa1024min=0") // Go itself refuses to make one
	key, err := rsa.GenerateKey(rand.Reader, 768)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "short.pem")
	writePEM(t, file, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
	o := testOptions(t)
	o.DKIM = DKIM{KeyFile: file, Selector: "mail"}
	if _, err := New(openStore(t), o); err == nil || !strings.Contains(err.Error(), "newsletter.dkim.key_file") {
		t.Fatalf("a 768-bit key was taken: %v", err)
	}
}
