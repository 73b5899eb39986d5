package server

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bulletin-app/bulletin/newsletter/bounce"
)

// SESOptions: Amazon SES posts through SNS, which signs every message
// with a key whose certificate it serves from an sns.<region>.amazonaws.com
// host. Only the topics listed are accepted.
type SESOptions struct {
	// TopicARNs are the SNS topics SES publishes to; required.
	TopicARNs []string
	// Client fetches signing certificates and confirms subscriptions;
	// nil: a client with short timeouts that follows no redirect. Tests
	// give one that reaches a server of theirs (and trusts its CA).
	Client *http.Client
}

// snsHost is where SNS serves certificates and takes confirmations.
var snsHost = regexp.MustCompile(`^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$`)

// snsMessage is an SNS HTTP(S) post.
type snsMessage struct {
	Type             string
	MessageID        string `json:"MessageId"`
	Token            string
	TopicArn         string
	Subject          string
	Message          string
	Timestamp        string
	SignatureVersion string
	Signature        string
	SigningCertURL   string `json:"SigningCertURL"`
	SubscribeURL     string `json:"SubscribeURL"`
}

type snsVerifier struct {
	topics []string
	client *http.Client

	mu    sync.Mutex
	certs map[string]*rsa.PublicKey // by URL
}

// maxCerts bounds the cache; SNS rotates its certificate rarely.
const maxCerts = 16

func newSNSVerifier(o SESOptions) (*snsVerifier, error) {
	if len(o.TopicARNs) == 0 {
		return nil, errors.New("ses webhook: needs the SNS topic ARNs to accept")
	}
	for _, arn := range o.TopicARNs {
		if !strings.HasPrefix(arn, "arn:aws") || strings.Count(arn, ":") != 5 {
			return nil, fmt.Errorf("ses webhook: %q is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)", arn)
		}
	}
	c := o.Client
	if c == nil {
		c = &http.Client{
			Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return errors.New("no redirects")
			},
		}
	}
	return &snsVerifier{topics: o.TopicARNs, client: c, certs: map[string]*rsa.PublicKey{}}, nil
}

// checkSNSURL accepts only https URLs on an SNS host: the signing
// certificate's and the subscription's.
func checkSNSURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil || !snsHost.MatchString(u.Host) {
		return nil, fmt.Errorf("%q is not an https URL on an SNS host", raw)
	}
	return u, nil
}

// verify checks an SNS message's topic and signature (SignatureVersion 1:
// SHA1withRSA, 2: SHA256withRSA, over the fields SNS documents for its
// type).
func (v *snsVerifier) verify(m *snsMessage) error {
	if !slices.Contains(v.topics, m.TopicArn) {
		return forbidden("topic %q is not one of ses.topic_arns", m.TopicArn)
	}
	var hash crypto.Hash
	switch m.SignatureVersion {
	case "1":
		hash = crypto.SHA1
	case "2":
		hash = crypto.SHA256
	default:
		return forbidden("signature version %q", m.SignatureVersion)
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil || len(sig) == 0 {
		return forbidden("malformed signature")
	}
	u, err := checkSNSURL(m.SigningCertURL)
	if err != nil || !strings.HasSuffix(u.Path, ".pem") {
		return forbidden("signing certificate URL %q is not SNS's", m.SigningCertURL)
	}
	key, err := v.cert(u.String())
	if err != nil {
		return forbidden("signing certificate: %v", err)
	}
	signed := []byte(m.stringToSign())
	var digest []byte
	if hash == crypto.SHA1 {
		d := sha1.Sum(signed)
		digest = d[:]
	} else {
		d := sha256.Sum256(signed)
		digest = d[:]
	}
	if err := rsa.VerifyPKCS1v15(key, hash, digest, sig); err != nil {
		return forbidden("bad signature")
	}
	return nil
}

// stringToSign is what SNS signs: name and value lines of the fields its
// type has, in this order.
func (m *snsMessage) stringToSign() string {
	var b strings.Builder
	add := func(k, v string) { b.WriteString(k + "\n" + v + "\n") }
	add("Message", m.Message)
	add("MessageId", m.MessageID)
	if m.Type == "Notification" {
		if m.Subject != "" {
			add("Subject", m.Subject)
		}
		add("Timestamp", m.Timestamp)
	} else {
		add("SubscribeURL", m.SubscribeURL)
		add("Timestamp", m.Timestamp)
		add("Token", m.Token)
	}
	add("TopicArn", m.TopicArn)
	add("Type", m.Type)
	return b.String()
}

// maxCertBytes bounds a certificate download.
const maxCertBytes = 64 << 10

// cert fetches (once) the RSA key of a signing certificate.
func (v *snsVerifier) cert(u string) (*rsa.PublicKey, error) {
	v.mu.Lock()
	key, ok := v.certs[u]
	v.mu.Unlock()
	if ok {
		return key, nil
	}
	b, err := v.get(u, maxCertBytes)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, err
	}
	key, ok = c.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("a %T key, not RSA", c.PublicKey)
	}
	v.mu.Lock()
	if len(v.certs) >= maxCerts {
		clear(v.certs)
	}
	v.certs[u] = key
	v.mu.Unlock()
	return key, nil
}

// get fetches an SNS URL, at most limit bytes of it.
func (v *snsVerifier) get(u string, limit int64) ([]byte, error) {
	resp, err := v.client.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", u, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: more than %d bytes", u, limit)
	}
	return b, nil
}

// ses handles what SNS posts: a subscription to confirm (by fetching its
// SubscribeURL, once the message is verified), and notifications.
func (w *Webhooks) ses(rw http.ResponseWriter, r *http.Request) {
	w.serve(rw, r, "ses", func(body []byte) ([]bounce.Event, error) {
		var m snsMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, forbidden("not an SNS message: %v", err)
		}
		if h := r.Header.Get("X-Amz-Sns-Message-Type"); h != "" && h != m.Type {
			return nil, forbidden("message type %q, header says %q", m.Type, h)
		}
		if err := w.sns.verify(&m); err != nil {
			return nil, err
		}
		switch m.Type {
		case "SubscriptionConfirmation":
			if _, err := checkSNSURL(m.SubscribeURL); err != nil {
				return nil, forbidden("subscribe URL: %v", err)
			}
			if _, err := w.sns.get(m.SubscribeURL, maxCertBytes); err != nil {
				return nil, errRetry{fmt.Errorf("confirm the SNS subscription to %s: %w", m.TopicArn, err)}
			}
			w.log.Info("SNS subscription confirmed", "topic", m.TopicArn)
			return nil, nil
		case "UnsubscribeConfirmation":
			w.log.Warn("SNS topic unsubscribed this webhook: no more SES events arrive", "topic", m.TopicArn)
			return nil, nil
		case "Notification":
			return bounce.ParseSES([]byte(m.Message), m.MessageID)
		}
		return nil, fmt.Errorf("SNS message type %q", m.Type)
	})
}
