package newsletter

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/bulletin-app/bulletin/internal/mailtest"
	"github.com/bulletin-app/bulletin/internal/smtptest"
	"github.com/bulletin-app/bulletin/store"
)

// TestDKIMVerifies signs, with RSA-2048 and with Ed25519, every kind of
// message bulletin sends (an issue, a confirmation, a test copy), takes
// each as the SMTP server received it, and has two verifiers check it:
// with a long https site URL, names and a subject that are not ASCII, and
// a subject long enough to be folded. go-mail's own signer failed all of
// them: its folding broke the h= list inside a header name.
func TestDKIMVerifies(t *testing.T) {
	long := "Weekly notes #%d: " + strings.Repeat("a very long subject line that has to be folded, ", 4) + "with ünïcödé — at the end"
	for _, k := range []mailtest.Key{mailtest.RSAKey(t), mailtest.Ed25519Key(t)} {
		t.Run(k.Name, func(t *testing.T) {
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
			o.DKIM = DKIM{KeyFile: k.File, Selector: "sel2026"}
			n := newTestNewsletter(t, st, o)
			if sum, err := n.Send(ctx, SendRequest{}); err != nil || sum.Sent != 2 {
				t.Fatalf("send: %+v, %v", sum, err)
			}
			if _, err := n.Subscribe(ctx, "new@example.org", "Renée Müller"); err != nil {
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
						t.Errorf("list message without List-Id or List-Unsubscribe-Post:\n%s", mailtest.Header(m.Data))
					}
					mailtest.VerifyDKIM(t, m.Data, k, "sel2026", "bulletin.example")
				})
			}
			// The verifiers are not vacuous: a changed subject fails.
			tampered := bytes.Replace(msgs[0].Data, []byte("\r\nSubject:"), []byte("\r\nSubject: Re:"), 1)
			if bytes.Equal(tampered, msgs[0].Data) {
				t.Fatalf("no Subject to tamper with:\n%q", mailtest.Header(msgs[0].Data))
			}
			vs, err := dkim.VerifyWithOptions(bytes.NewReader(tampered), &dkim.VerifyOptions{
				LookupTXT: func(string) ([]string, error) { return []string{k.Record}, nil },
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
	k := mailtest.RSAKey(t)
	o := testOptions(t)
	o.DKIM = DKIM{KeyFile: k.File, Selector: "mail", Domain: "signing.example"}
	n := newTestNewsletter(t, st, o)
	if _, err := n.Send(ctx, SendRequest{}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(o.OutboxDir, "*.eml"))
	if len(files) != 2 {
		t.Fatalf("outbox holds %d files, want 2", len(files))
	}
	for _, f := range files {
		mailtest.VerifyDKIM(t, readFile(t, f), k, "mail", "signing.example")
	}
}

func TestDKIMRefusesShortRSAKey(t *testing.T) {
	t.Setenv("GODEBUG", "rsa1024min=0") // Go itself refuses to make one
	key, err := rsa.GenerateKey(rand.Reader, 768)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "short.pem")
	mailtest.WritePEM(t, file, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
	o := testOptions(t)
	o.DKIM = DKIM{KeyFile: file, Selector: "mail"}
	if _, err := New(openStore(t), o); err == nil || !strings.Contains(err.Error(), "newsletter.dkim.key_file") {
		t.Fatalf("a 768-bit key was taken: %v", err)
	}
}
