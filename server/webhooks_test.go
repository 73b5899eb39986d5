package server

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/testtool"
	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/newsletter/bounce"
)

// The signatures of these tests are made by openssl, not by the code
// under test: a verifier agreeing with its own signer would prove
// nothing.

type recorder struct {
	mu     sync.Mutex
	events []bounce.Event
	err    error
}

func (r *recorder) HandleBounce(_ context.Context, ev bounce.Event, byAddress bool) (newsletter.BounceResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !byAddress {
		return newsletter.BounceResult{}, errors.New("a signed webhook is a trusted source: byAddress must be set")
	}
	r.events = append(r.events, ev)
	return newsletter.BounceResult{Event: ev}, r.err
}

func (r *recorder) take() []bounce.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	evs := r.events
	r.events = nil
	return evs
}

func webhookFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "newsletter", "bounce", "testdata", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// openssl runs openssl with data on its standard input.
func openssl(t *testing.T, data []byte, args ...string) []byte {
	t.Helper()
	bin := testtool.Need(t, "openssl")[0]
	cmd := exec.Command(bin, args...)
	cmd.Stdin = bytes.NewReader(data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

func writeKey(t *testing.T, key any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

type post struct {
	path   string
	body   []byte
	header http.Header
}

func (p post) do(t *testing.T, h http.Handler) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("POST", p.path, bytes.NewReader(p.body))
	for k, vs := range p.header {
		req.Header[k] = vs
	}
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, req)
	return rr
}

func newHooks(t *testing.T, rec BounceRecorder, o WebhookOptions) (*http.ServeMux, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	w, err := NewWebhooks(rec, o, newTestLogger(&logs))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	w.Routes(mux)
	return mux, &logs
}

// expect checks a response's status, the events recorded, and that a
// refusal was logged.
func expect(t *testing.T, what string, rr *httptest.ResponseRecorder, code int, rec *recorder, events int, logs *bytes.Buffer) []bounce.Event {
	t.Helper()
	evs := rec.take()
	if rr.Code != code || len(evs) != events {
		t.Errorf("%s: %d with %d events, want %d with %d: %s", what, rr.Code, len(evs), code, events, rr.Body)
	}
	if code == http.StatusUnauthorized || code == http.StatusForbidden {
		if !strings.Contains(logs.String(), "webhook refused") {
			t.Errorf("%s: the refusal was not logged", what)
		}
	}
	logs.Reset()
	return evs
}

func TestPostmarkWebhook(t *testing.T) {
	rec := &recorder{}
	h, logs := newHooks(t, rec, WebhookOptions{Postmark: &PostmarkOptions{Username: "postmark", Password: "s3cret pass"}})
	body := webhookFixture(t, "postmark-bounce.json")
	auth := func(user, pass string) http.Header {
		return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}}
	}
	evs := expect(t, "signed", post{"/webhooks/postmark", body, auth("postmark", "s3cret pass")}.do(t, h), 200, rec, 1, logs)
	if len(evs) == 1 && (evs[0].Kind != bounce.Hard || evs[0].Recipient != "john@example.com") {
		t.Errorf("event %+v", evs[0])
	}
	rr := post{"/webhooks/postmark", body, auth("postmark", "guess")}.do(t, h)
	expect(t, "wrong password", rr, 401, rec, 0, logs)
	if rr.Header().Get("WWW-Authenticate") == "" {
		t.Error("a 401 without WWW-Authenticate")
	}
	expect(t, "no credentials", post{"/webhooks/postmark", body, nil}.do(t, h), 401, rec, 0, logs)

	// With a secret header instead.
	h, logs = newHooks(t, rec, WebhookOptions{Postmark: &PostmarkOptions{Secret: "a long shared secret"}})
	complaint := webhookFixture(t, "postmark-complaint.json")
	expect(t, "with the secret", post{"/webhooks/postmark", complaint, http.Header{PostmarkSecretHeader: {"a long shared secret"}}}.do(t, h), 200, rec, 1, logs)
	expect(t, "a wrong secret", post{"/webhooks/postmark", complaint, http.Header{PostmarkSecretHeader: {"a long shared secreT"}}}.do(t, h), 403, rec, 0, logs)

	if _, err := NewWebhooks(rec, WebhookOptions{Postmark: &PostmarkOptions{Username: "only"}}, nil); err == nil {
		t.Error("a Postmark webhook without a password or secret was built")
	}
}

func TestMailgunWebhook(t *testing.T) {
	const key = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
	now := time.Unix(1793602854, 0)
	rec := &recorder{}
	h, logs := newHooks(t, rec, WebhookOptions{Mailgun: &MailgunOptions{SigningKey: key}, Now: func() time.Time { return now }})
	// sign puts a signature made by openssl into the fixture.
	sign := func(key, ts, token string) []byte {
		var doc map[string]any
		if err := json.Unmarshal(webhookFixture(t, "mailgun-failed.json"), &doc); err != nil {
			t.Fatal(err)
		}
		out := openssl(t, []byte(ts+token), "dgst", "-sha256", "-hmac", key)
		sig := strings.TrimSpace(string(out))
		sig = sig[strings.LastIndexByte(sig, ' ')+1:] // "SHA2-256(stdin)= <hex>"
		doc["signature"] = map[string]string{"timestamp": ts, "token": token, "signature": sig}
		b, _ := json.Marshal(doc)
		return b
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	signed := sign(key, ts, "token-one-0123456789abcdef0123456789abcdef01")
	evs := expect(t, "signed", post{"/webhooks/mailgun", signed, nil}.do(t, h), 200, rec, 1, logs)
	if len(evs) == 1 && (evs[0].Kind != bounce.Hard || evs[0].Recipient != "alice@example.com") {
		t.Errorf("event %+v", evs[0])
	}
	expect(t, "replayed", post{"/webhooks/mailgun", signed, nil}.do(t, h), 403, rec, 0, logs)
	expect(t, "forged", post{"/webhooks/mailgun", sign("key-not-the-one", ts, "token-two-0123456789abcdef0123456789abcdef01"), nil}.do(t, h), 403, rec, 0, logs)
	old := strconv.FormatInt(now.Add(-time.Hour).Unix(), 10)
	expect(t, "an hour old", post{"/webhooks/mailgun", sign(key, old, "token-three-0123456789abcdef0123456789abcdef"), nil}.do(t, h), 403, rec, 0, logs)
	// The fixture's own signature is Mailgun's documented example: not
	// this key's.
	expect(t, "the documented example", post{"/webhooks/mailgun", webhookFixture(t, "mailgun-failed.json"), nil}.do(t, h), 403, rec, 0, logs)
}

func TestSendGridWebhook(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := writeKey(t, key)
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	now := time.Unix(1793602900, 0)
	rec := &recorder{}
	h, logs := newHooks(t, rec, WebhookOptions{SendGrid: &SendGridOptions{PublicKey: base64.StdEncoding.EncodeToString(pub)},
		Now: func() time.Time { return now }})
	body := webhookFixture(t, "sendgrid-events.json")
	sign := func(ts string, body []byte) http.Header {
		sig := openssl(t, append([]byte(ts), body...), "dgst", "-sha256", "-sign", keyFile)
		return http.Header{
			"X-Twilio-Email-Event-Webhook-Signature": {base64.StdEncoding.EncodeToString(sig)},
			"X-Twilio-Email-Event-Webhook-Timestamp": {ts},
		}
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	evs := expect(t, "signed", post{"/webhooks/sendgrid", body, sign(ts, body)}.do(t, h), 200, rec, 4, logs)
	if len(evs) == 4 && (evs[0].Kind != bounce.Hard || evs[3].Kind != bounce.Complaint) {
		t.Errorf("events %+v", evs)
	}
	hdr := sign(ts, body)
	tampered := bytes.Replace(body, []byte("invalid@example.com"), []byte("victim1@example.com"), 1)
	expect(t, "body changed after signing", post{"/webhooks/sendgrid", tampered, hdr}.do(t, h), 403, rec, 0, logs)
	expect(t, "unsigned", post{"/webhooks/sendgrid", body, nil}.do(t, h), 403, rec, 0, logs)
	old := strconv.FormatInt(now.Add(-time.Hour).Unix(), 10)
	expect(t, "an hour old", post{"/webhooks/sendgrid", body, sign(old, body)}.do(t, h), 403, rec, 0, logs)

	// The key as PEM works too; a key that is no ECDSA key is refused.
	if _, err := NewWebhooks(rec, WebhookOptions{SendGrid: &SendGridOptions{PublicKey: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))}}, nil); err != nil {
		t.Error(err)
	}
	if _, err := NewWebhooks(rec, WebhookOptions{SendGrid: &SendGridOptions{PublicKey: "bm90IGEga2V5"}}, nil); err == nil {
		t.Error("a SendGrid key that is no key was taken")
	}
}

// snsFixture is a stand-in for SNS on loopback: an https server that
// answers as sns.us-east-1.amazonaws.com (with a certificate of a CA the
// test's client trusts) and serves the signing certificate and the
// subscription confirmations.
type snsFixture struct {
	client        *http.Client
	keyFile       string
	certURL       string
	certFetches   atomic.Int32
	confirmations atomic.Int32
}

const snsTopic = "arn:aws:sns:us-east-1:123456789012:ses-bounces"

func startSNS(t *testing.T) *snsFixture {
	t.Helper()
	f := &snsFixture{}
	// The signing key and its self-signed certificate, as SNS serves it.
	sk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f.keyFile = writeKey(t, sk)
	signing := selfSigned(t, sk, &sk.PublicKey, "sns.amazonaws.com", nil, nil)
	// The TLS server's CA and certificate.
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := selfSigned(t, caKey, &caKey.PublicKey, "Test CA", nil, nil)
	caCert, _ := x509.ParseCertificate(ca)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := selfSigned(t, caKey, &leafKey.PublicKey, "sns.us-east-1.amazonaws.com", caCert, []string{"sns.us-east-1.amazonaws.com"})

	mux := http.NewServeMux()
	mux.HandleFunc("GET /SimpleNotificationService-0123456789abcdef.pem", func(w http.ResponseWriter, r *http.Request) {
		f.certFetches.Add(1)
		pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: signing})
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("Action") == "ConfirmSubscription" && r.URL.Query().Get("Token") == "confirm-token" {
			f.confirmations.Add(1)
			io.WriteString(w, "<ConfirmSubscriptionResponse/>")
			return
		}
		http.Error(w, "bad request", 400)
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leaf}, PrivateKey: leafKey}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	addr := srv.Listener.Addr().String()
	f.client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
		// Every SNS host is this server: the test stays on loopback.
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
	f.certURL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem"
	return f
}

func selfSigned(t *testing.T, signer any, pub any, cn string, parent *x509.Certificate, dns []string) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: dns,
		IsCA: parent == nil && dns == nil, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// message is an SNS post signed by openssl, over the string AWS
// documents for its type (written out here, not taken from the code under
// test).
func (f *snsFixture) message(t *testing.T, typ, version string, m map[string]string) []byte {
	t.Helper()
	m["Type"] = typ
	m["SignatureVersion"] = version
	if _, ok := m["SigningCertURL"]; !ok {
		m["SigningCertURL"] = f.certURL
	}
	if _, ok := m["TopicArn"]; !ok {
		m["TopicArn"] = snsTopic
	}
	var keys []string
	if typ == "Notification" {
		keys = []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	} else {
		keys = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	}
	var s strings.Builder
	for _, k := range keys {
		if v, ok := m[k]; ok {
			fmt.Fprintf(&s, "%s\n%s\n", k, v)
		}
	}
	digest := map[string]string{"1": "-sha1", "2": "-sha256"}[version]
	if digest == "" {
		digest = "-sha256"
	}
	m["Signature"] = base64.StdEncoding.EncodeToString(openssl(t, []byte(s.String()), "dgst", digest, "-sign", f.keyFile))
	b, _ := json.Marshal(m)
	return b
}

func TestSESWebhook(t *testing.T) {
	sns := startSNS(t)
	rec := &recorder{}
	h, logs := newHooks(t, rec, WebhookOptions{SES: &SESOptions{TopicARNs: []string{snsTopic}, Client: sns.client}})
	note := func(version, message string, edit func(map[string]string)) []byte {
		m := map[string]string{"MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324", "Message": message, "Timestamp": "2026-11-02T07:00:06.655Z"}
		if edit != nil {
			edit(m)
		}
		return sns.message(t, "Notification", version, m)
	}
	hdr := http.Header{"X-Amz-Sns-Message-Type": {"Notification"}}
	bounceMsg := string(webhookFixture(t, "ses-bounce.json"))

	evs := expect(t, "signed, version 1", post{"/webhooks/ses", note("1", bounceMsg, nil), hdr}.do(t, h), 200, rec, 1, logs)
	if len(evs) == 1 && (evs[0].Kind != bounce.Hard || evs[0].MessageID != "bulletin.1.1.3f9a2c7d1e0b@example.org") {
		t.Errorf("event %+v", evs[0])
	}
	complaint := string(webhookFixture(t, "ses-complaint.json"))
	expect(t, "signed, version 2, with a subject", post{"/webhooks/ses", note("2", complaint, func(m map[string]string) { m["Subject"] = "Amazon SES Email Event Notification" }), hdr}.do(t, h), 200, rec, 1, logs)
	if n := sns.certFetches.Load(); n != 1 {
		t.Errorf("the signing certificate was fetched %d times, want once (then cached)", n)
	}

	// Forgeries.
	signed := note("1", bounceMsg, nil)
	tampered := bytes.Replace(signed, []byte(`bounce@simulator.amazonses.com`), []byte(`victim@simulator.amazonses.com`), 1)
	expect(t, "message changed after signing", post{"/webhooks/ses", tampered, hdr}.do(t, h), 403, rec, 0, logs)
	expect(t, "another topic", post{"/webhooks/ses", note("1", bounceMsg, func(m map[string]string) { m["TopicArn"] = "arn:aws:sns:us-east-1:999999999999:other" }), hdr}.do(t, h), 403, rec, 0, logs)
	fetches := sns.certFetches.Load()
	for _, u := range []string{
		"https://sns.evil.example/SimpleNotificationService-0123456789abcdef.pem",
		"http://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem",
		"https://sns.us-east-1.amazonaws.com.evil.example/SimpleNotificationService-0123456789abcdef.pem",
		"https://user@sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem",
	} {
		expect(t, "certificate at "+u, post{"/webhooks/ses", note("1", bounceMsg, func(m map[string]string) { m["SigningCertURL"] = u }), hdr}.do(t, h), 403, rec, 0, logs)
	}
	if sns.certFetches.Load() != fetches {
		t.Error("a certificate URL that is not SNS's was fetched")
	}
	expect(t, "signature version 3", post{"/webhooks/ses", note("3", bounceMsg, nil), hdr}.do(t, h), 403, rec, 0, logs)
	expect(t, "type header disagrees", post{"/webhooks/ses", signed, http.Header{"X-Amz-Sns-Message-Type": {"SubscriptionConfirmation"}}}.do(t, h), 403, rec, 0, logs)

	// Subscription: confirmed by fetching its SubscribeURL, only when
	// signed.
	sub := func() map[string]string {
		return map[string]string{"MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b", "Token": "confirm-token",
			"Message":      "You have chosen to subscribe to the topic " + snsTopic + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
			"SubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + snsTopic + "&Token=confirm-token",
			"Timestamp":    "2026-11-01T20:00:00.000Z"}
	}
	subHdr := http.Header{"X-Amz-Sns-Message-Type": {"SubscriptionConfirmation"}}
	// Signed, then its message changed: were the signature not checked,
	// its SubscribeURL would be fetched.
	var m map[string]string
	json.Unmarshal(sns.message(t, "SubscriptionConfirmation", "1", sub()), &m)
	m["Message"] = "Subscribe me."
	forged, _ := json.Marshal(m)
	expect(t, "forged subscription", post{"/webhooks/ses", forged, subHdr}.do(t, h), 403, rec, 0, logs)
	if sns.confirmations.Load() != 0 {
		t.Error("a forged subscription was confirmed")
	}
	expect(t, "signed subscription", post{"/webhooks/ses", sns.message(t, "SubscriptionConfirmation", "2", sub()), subHdr}.do(t, h), 200, rec, 0, logs)
	if sns.confirmations.Load() != 1 {
		t.Errorf("%d confirmations, want 1", sns.confirmations.Load())
	}
	other := sub()
	other["SubscribeURL"] = "https://example.org/?Action=ConfirmSubscription"
	expect(t, "a subscribe URL off SNS", post{"/webhooks/ses", sns.message(t, "SubscriptionConfirmation", "2", other), subHdr}.do(t, h), 403, rec, 0, logs)

	if _, err := NewWebhooks(rec, WebhookOptions{SES: &SESOptions{}}, nil); err == nil {
		t.Error("an SES webhook without topics was built")
	}
}

// TestWebhookLimits: bodies are bounded, unconfigured services are not
// served, and a post the store could not record is retried by the
// service (5xx) while one that names no delivery is not.
func TestWebhookLimits(t *testing.T) {
	rec := &recorder{}
	h, logs := newHooks(t, rec, WebhookOptions{Postmark: &PostmarkOptions{Secret: "s"}})
	hdr := http.Header{PostmarkSecretHeader: {"s"}}
	big := append([]byte(`{"RecordType":"Bounce","Details":"`), bytes.Repeat([]byte("x"), maxWebhookBody)...)
	expect(t, "too large", post{"/webhooks/postmark", big, hdr}.do(t, h), 413, rec, 0, logs)
	expect(t, "not JSON", post{"/webhooks/postmark", []byte("<xml/>"), hdr}.do(t, h), 400, rec, 0, logs)
	for _, p := range []string{"/webhooks/ses", "/webhooks/mailgun", "/webhooks/sendgrid"} {
		expect(t, p+" (not configured)", post{p, []byte("{}"), nil}.do(t, h), 404, rec, 0, logs)
	}
	body := webhookFixture(t, "postmark-bounce.json")
	rec.err = errors.New("database is down")
	expect(t, "store down", post{"/webhooks/postmark", body, hdr}.do(t, h), 500, rec, 1, logs)
	rec.err = fmt.Errorf("x: %w", newsletter.ErrUnmatched)
	expect(t, "names no delivery", post{"/webhooks/postmark", body, hdr}.do(t, h), 200, rec, 1, logs)
}

func newTestLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
