package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/newsletter/bounce"
)

// BounceRecorder is what the webhooks need of the newsletter.
type BounceRecorder interface {
	HandleBounce(ctx context.Context, ev bounce.Event, byAddress bool) (newsletter.BounceResult, error)
}

// WebhookOptions say which sending services' webhooks are served, and how
// each authenticates its posts. A nil field leaves that webhook off.
type WebhookOptions struct {
	SES      *SESOptions
	Postmark *PostmarkOptions
	Mailgun  *MailgunOptions
	SendGrid *SendGridOptions
	// Now is the clock for the signatures' timestamps; nil: time.Now.
	Now func() time.Time
}

// PostmarkOptions: Postmark authenticates with HTTP basic auth (the
// credentials in the webhook URL) and, or, a custom header the operator
// adds to the webhook, X-Webhook-Secret. At least one must be set.
type PostmarkOptions struct {
	Username, Password string
	Secret             string
}

// MailgunOptions: Mailgun signs each post with the HTTP webhook signing
// key: HMAC-SHA256 of its timestamp and token.
type MailgunOptions struct {
	SigningKey string
	// MaxAge is how far a signature's timestamp may be from now; 0: 5m.
	MaxAge time.Duration
}

// SendGridOptions: SendGrid's signed event webhook signs each post with
// ECDSA (P-256, SHA-256) over its timestamp and body; PublicKey is the
// verification key SendGrid shows, base64 DER (or PEM).
type SendGridOptions struct {
	PublicKey string
	MaxAge    time.Duration // 0: 5m
}

// maxWebhookBody bounds a post: SES's notifications stay under SNS's
// 256 KiB, SendGrid batches under 768 KiB.
const maxWebhookBody = 1 << 20

// PostmarkSecretHeader is the header Postmark is told to send the shared
// secret in.
const PostmarkSecretHeader = "X-Webhook-Secret"

// Webhooks serves the bounce and complaint webhooks of sending services:
//
//	POST /webhooks/ses       Amazon SES, through SNS
//	POST /webhooks/postmark
//	POST /webhooks/mailgun
//	POST /webhooks/sendgrid
//
// each only when configured. A post that fails its authentication is
// refused (401 or 403) and logged; one that passes is recorded once,
// however often the service retries it.
type Webhooks struct {
	rec  BounceRecorder
	opts WebhookOptions
	log  *slog.Logger

	sns      *snsVerifier
	sendgrid *ecdsa.PublicKey

	mu         sync.Mutex
	seenTokens map[string]time.Time // Mailgun tokens within MaxAge: each is good once
}

// NewWebhooks checks the options (a SendGrid key that does not parse, a
// Postmark webhook without credentials) and builds the handlers.
func NewWebhooks(rec BounceRecorder, opts WebhookOptions, log *slog.Logger) (*Webhooks, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	// Copies: defaults are filled in without touching the caller's.
	if o := opts.Mailgun; o != nil {
		c := *o
		opts.Mailgun = &c
	}
	if o := opts.SendGrid; o != nil {
		c := *o
		opts.SendGrid = &c
	}
	w := &Webhooks{rec: rec, opts: opts, log: log, seenTokens: map[string]time.Time{}}
	if o := opts.SES; o != nil {
		var err error
		if w.sns, err = newSNSVerifier(*o); err != nil {
			return nil, err
		}
	}
	if o := opts.Postmark; o != nil && o.Secret == "" && (o.Username == "" || o.Password == "") {
		return nil, errors.New("postmark webhook: needs a username and password, or a secret")
	}
	if o := opts.Mailgun; o != nil {
		if o.SigningKey == "" {
			return nil, errors.New("mailgun webhook: needs the signing key")
		}
		if o.MaxAge <= 0 {
			o.MaxAge = 5 * time.Minute
		}
	}
	if o := opts.SendGrid; o != nil {
		key, err := parseECDSAKey(o.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("sendgrid webhook: public key: %w", err)
		}
		w.sendgrid = key
		if o.MaxAge <= 0 {
			o.MaxAge = 5 * time.Minute
		}
	}
	return w, nil
}

// Routes mounts the configured webhooks on mux.
func (w *Webhooks) Routes(mux *http.ServeMux) {
	if w.sns != nil {
		mux.HandleFunc("POST /webhooks/ses", w.ses)
	}
	if w.opts.Postmark != nil {
		mux.HandleFunc("POST /webhooks/postmark", w.postmark)
	}
	if w.opts.Mailgun != nil {
		mux.HandleFunc("POST /webhooks/mailgun", w.mailgun)
	}
	if w.sendgrid != nil {
		mux.HandleFunc("POST /webhooks/sendgrid", w.sendgridEvents)
	}
}

// errRefused is a post that failed its authentication.
type errRefused struct {
	code   int // 401 or 403
	reason string
}

func (e errRefused) Error() string { return e.reason }

// errRetry is an authentic post that cannot be handled now (a
// subscription that cannot be confirmed yet): the service is to retry.
type errRetry struct{ err error }

func (e errRetry) Error() string { return e.err.Error() }
func (e errRetry) Unwrap() error { return e.err }

func forbidden(format string, args ...any) error {
	return errRefused{http.StatusForbidden, fmt.Sprintf(format, args...)}
}

// serve reads a post's body, authenticates and parses it with check, and
// records the events it returns.
func (w *Webhooks) serve(rw http.ResponseWriter, r *http.Request, provider string, check func(body []byte) ([]bounce.Event, error)) {
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxWebhookBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			w.log.Warn("webhook refused: body too large", "provider", provider, "limit", maxWebhookBody, "remote", r.RemoteAddr)
			http.Error(rw, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(rw, "cannot read the request", http.StatusBadRequest)
		return
	}
	events, err := check(body)
	var refused errRefused
	switch {
	case errors.As(err, &refused):
		// Logged for the operator; the caller learns nothing more.
		w.log.Warn("webhook refused", "provider", provider, "reason", refused.reason, "remote", r.RemoteAddr)
		if refused.code == http.StatusUnauthorized {
			rw.Header().Set("WWW-Authenticate", `Basic realm="bulletin webhooks"`)
		}
		http.Error(rw, http.StatusText(refused.code), refused.code)
		return
	case errors.As(err, new(errRetry)):
		w.log.Error("webhook: cannot handle the post now", "provider", provider, "err", err)
		http.Error(rw, "try again later", http.StatusServiceUnavailable)
		return
	case err != nil:
		w.log.Warn("webhook: unreadable post", "provider", provider, "err", err, "remote", r.RemoteAddr)
		http.Error(rw, "unreadable payload", http.StatusBadRequest)
		return
	}
	recorded := 0
	for _, ev := range events {
		res, err := w.rec.HandleBounce(r.Context(), ev, true)
		switch {
		case errors.Is(err, newsletter.ErrUnmatched):
			// Not ours (another list on the same account, say): the service
			// must not retry it.
			w.log.Info("webhook event names no delivery", "provider", provider, "kind", ev.Kind, "recipient", ev.Recipient, "id", ev.ID)
		case err != nil:
			// The service retries; the event's id keeps that from counting
			// twice.
			w.log.Error("webhook event not recorded", "provider", provider, "err", err)
			http.Error(rw, "not recorded; try again", http.StatusInternalServerError)
			return
		case !res.Outcome.Duplicate:
			recorded++
		}
	}
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(rw, "ok: %d of %d events recorded\n", recorded, len(events))
}

func (w *Webhooks) postmark(rw http.ResponseWriter, r *http.Request) {
	o := w.opts.Postmark
	w.serve(rw, r, "postmark", func(body []byte) ([]bounce.Event, error) {
		if o.Username != "" {
			user, pass, ok := r.BasicAuth()
			if !ok {
				return nil, errRefused{http.StatusUnauthorized, "no basic auth credentials"}
			}
			// Both compared in full, whichever differs.
			u := subtle.ConstantTimeCompare([]byte(user), []byte(o.Username))
			p := subtle.ConstantTimeCompare([]byte(pass), []byte(o.Password))
			if u&p != 1 {
				return nil, errRefused{http.StatusUnauthorized, "wrong basic auth credentials"}
			}
		}
		if o.Secret != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get(PostmarkSecretHeader)), []byte(o.Secret)) != 1 {
			return nil, forbidden("wrong or missing %s", PostmarkSecretHeader)
		}
		return bounce.ParsePostmark(body)
	})
}

func (w *Webhooks) mailgun(rw http.ResponseWriter, r *http.Request) {
	o := w.opts.Mailgun
	w.serve(rw, r, "mailgun", func(body []byte) ([]bounce.Event, error) {
		sig, events, err := bounce.ParseMailgun(body)
		if err != nil {
			return nil, forbidden("no signature to check: %v", err)
		}
		given, err := hex.DecodeString(sig.Signature)
		if err != nil || sig.Token == "" || sig.Timestamp == "" {
			return nil, forbidden("malformed signature")
		}
		m := hmac.New(sha256.New, []byte(o.SigningKey))
		m.Write([]byte(sig.Timestamp + sig.Token))
		if !hmac.Equal(given, m.Sum(nil)) {
			return nil, forbidden("bad signature")
		}
		if err := w.fresh(sig.Timestamp, o.MaxAge); err != nil {
			return nil, err
		}
		// A signed post replayed within the window: refused by its token.
		if !w.firstUse(sig.Token, o.MaxAge) {
			return nil, forbidden("token used before (a replay), or too many tokens within the window")
		}
		return events, nil
	})
}

// sendgridEvents handles SendGrid's signed event webhook.
func (w *Webhooks) sendgridEvents(rw http.ResponseWriter, r *http.Request) {
	w.serve(rw, r, "sendgrid", func(body []byte) ([]bounce.Event, error) {
		ts := r.Header.Get("X-Twilio-Email-Event-Webhook-Timestamp")
		sig, err := base64.StdEncoding.DecodeString(r.Header.Get("X-Twilio-Email-Event-Webhook-Signature"))
		if err != nil || len(sig) == 0 || ts == "" {
			return nil, forbidden("missing or malformed signature headers")
		}
		digest := sha256.Sum256(append([]byte(ts), body...))
		if !ecdsa.VerifyASN1(w.sendgrid, digest[:], sig) {
			return nil, forbidden("bad signature")
		}
		if err := w.fresh(ts, w.opts.SendGrid.MaxAge); err != nil {
			return nil, err
		}
		return bounce.ParseSendGrid(body)
	})
}

// fresh checks that a signature's Unix timestamp is within maxAge of now,
// either way: an old signed post is not accepted again.
func (w *Webhooks) fresh(ts string, maxAge time.Duration) error {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return forbidden("malformed timestamp %q", ts)
	}
	age := w.opts.Now().Sub(time.Unix(sec, 0))
	if age > maxAge || age < -maxAge {
		return forbidden("signed %s ago, outside the %s window", age.Round(time.Second), maxAge)
	}
	return nil
}

// maxSeenTokens bounds the Mailgun tokens remembered.
const maxSeenTokens = 100000

func (w *Webhooks) firstUse(token string, window time.Duration) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.opts.Now()
	if _, seen := w.seenTokens[token]; seen {
		return false
	}
	if len(w.seenTokens) >= maxSeenTokens/2 {
		for t, at := range w.seenTokens {
			if now.Sub(at) > 2*window {
				delete(w.seenTokens, t)
			}
		}
		if len(w.seenTokens) >= maxSeenTokens {
			return false // a flood: refuse rather than forget and accept replays
		}
	}
	w.seenTokens[token] = now
	return true
}

// CheckSendGridKey says whether a SendGrid verification key can be used.
func CheckSendGridKey(key string) error {
	_, err := parseECDSAKey(key)
	return err
}

// parseECDSAKey reads a P-256 public key as SendGrid shows it: base64 of
// its DER (SubjectPublicKeyInfo), or the same in PEM.
func parseECDSAKey(s string) (*ecdsa.PublicKey, error) {
	s = strings.TrimSpace(s)
	var der []byte
	if b, _ := pem.Decode([]byte(s)); b != nil {
		der = b.Bytes
	} else {
		var err error
		if der, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), "")); err != nil {
			return nil, errors.New("neither PEM nor base64")
		}
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, err
	}
	ek, ok := k.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("a %T, not an ECDSA key", k)
	}
	return ek, nil
}
