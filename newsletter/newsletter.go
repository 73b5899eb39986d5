// Package newsletter renders issues as email and delivers them to confirmed
// subscribers, exactly once each, through SMTP or into an outbox folder. It
// also holds the subscriber workflows: validation, import and export, double
// opt-in and unsubscribing with signed tokens.
package newsletter

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/mail"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	gomail "github.com/wneessen/go-mail"

	"github.com/bulletin-app/bulletin/internal/design"
	"github.com/bulletin-app/bulletin/newsletter/bounce"
	"github.com/bulletin-app/bulletin/store"
	"github.com/bulletin-app/bulletin/templates"
)

// SMTP says how to reach the mail server.
type SMTP struct {
	Host     string
	Port     int // 0: 587, or 465 with TLS "implicit"
	Username string
	Password string
	// TLS is "opportunistic" (the default: STARTTLS when offered),
	// "mandatory" (STARTTLS or fail), "implicit" (TLS from the first byte)
	// or "none".
	TLS     string
	Timeout time.Duration // per connection step; 0: 30s
	HELO    string        // name given in EHLO; empty: the host name
}

// DKIM says how to sign messages. Signing is on when KeyFile is set.
type DKIM struct {
	KeyFile  string // PEM: PKCS#1 or PKCS#8 RSA, or PKCS#8 Ed25519
	Selector string
	Domain   string // empty: the From address's domain
}

// Options are the newsletter's settings, filled from config.yaml. The zero
// value of each knob has a working default.
type Options struct {
	SiteTitle       string
	SiteDescription string
	// SiteLogo is an absolute URL of the logo the masthead shows, or "".
	SiteLogo string
	// Theme is the design's colours (design.NewTheme of site.accent); the
	// zero value is the default accent's.
	Theme design.Theme
	// Images shows each entry's article image, linked, in the emails.
	Images bool
	// From is the sender, with an optional name: "Bulletin <news@example.org>".
	From    string
	ReplyTo string
	// SiteURL is the public base URL that the view-in-browser, unsubscribe
	// and confirm links start with. RFC 8058 one-click unsubscribe needs https.
	SiteURL string
	// IssuePath is the path of an issue's web page below SiteURL, with %d for
	// its number; empty: "/issues/%d/".
	IssuePath string
	// StoryPath is the path of a story's web page below SiteURL, with %d
	// for its id; empty: "/stories/%d/".
	StoryPath string
	// EntryAnchor names an entry's place on its issue's page from its
	// article's key (feed.EntryAnchor); nil links to the page alone.
	EntryAnchor func(articleKey string) string
	// ListUnsubscribeMailto is an address that takes unsubscribe requests by
	// mail; empty leaves the mailto: form out of List-Unsubscribe.
	ListUnsubscribeMailto string
	// MessageIDDomain is the right-hand side of Message-IDs; empty: the From
	// domain.
	MessageIDDomain string
	SMTP            SMTP
	// OutboxDir receives one .eml file per message when SMTP.Host is empty.
	OutboxDir string
	// Concurrency is the number of SMTP connections used at once; 0: 4.
	Concurrency int
	// Rate caps messages per second over all connections; 0: no cap.
	Rate float64
	// Retries is how often a temporary failure is retried; 0: 3, <0: never.
	Retries int
	// RetryBackoff is the first wait before a retry, doubled each time; 0: 2s.
	RetryBackoff time.Duration
	// PauseAfter stops a send after this many failures in a row; 0: 25,
	// <0: never.
	PauseAfter int
	DKIM       DKIM
	// Secret is the HMAC key of confirm and unsubscribe tokens. Required.
	Secret []byte
	// ConfirmTTL is how long a confirmation link works; 0: 72h.
	ConfirmTTL time.Duration
	// ConfirmResendAfter is the least time between two confirmation emails
	// to one address; 0: 10 minutes.
	ConfirmResendAfter time.Duration
	// Templates holds email.html.tmpl, email.txt.tmpl, confirm.html.tmpl
	// and confirm.txt.tmpl; nil: the embedded defaults.
	Templates fs.FS
	Logger    *slog.Logger
	// LockTTL is the lease on an issue's send, renewed while sending; 0: 1m.
	LockTTL time.Duration
	// Signups bound the confirmations sent for the web form's sign-ups
	// (QueueSignup, RunSignups).
	Signups SignupOptions
	// Bounces is what happens to bounces and complaints after the send.
	Bounces BounceOptions
}

// BounceOptions say how bounces find their way back, and what they do.
type BounceOptions struct {
	// ReturnPathDomain, when set, gives every issue's message its own
	// envelope sender, bounces+TOKEN@ReturnPathDomain (VERP), so that a
	// bounce names its delivery. Empty: the From address is the envelope
	// sender, as before.
	ReturnPathDomain string
	// SoftLimit is how many deliveries in a row must soft-bounce to count
	// as a hard bounce; 0: 3.
	SoftLimit int
}

// Newsletter renders and delivers issues and runs the subscription
// workflows against one store.
type Newsletter struct {
	st        *store.Store
	opts      Options
	from      *mail.Address
	replyTo   *mail.Address
	site      *url.URL
	msgDomain string
	listID    string
	dkim      *dkim.SignOptions // nil: messages go out unsigned
	log       *slog.Logger
	tmpl      *renderer
	// signupWake tells RunSignups that a sign-up was queued.
	signupWake chan struct{}

	// returnPaths signs and reads VERP return paths; they are read even
	// when no domain is set now, for the bounces of earlier sends.
	returnPaths bounce.VERP
}

// New checks opts and loads the templates and DKIM key.
func New(st *store.Store, opts Options) (*Newsletter, error) {
	if opts.Templates == nil {
		opts.Templates = templates.FS
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.IssuePath == "" {
		opts.IssuePath = "/issues/%d/"
	}
	if opts.StoryPath == "" {
		opts.StoryPath = "/stories/%d/"
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.Retries == 0 {
		opts.Retries = 3
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = 2 * time.Second
	}
	if opts.PauseAfter == 0 {
		opts.PauseAfter = 25
	}
	if opts.ConfirmTTL <= 0 {
		opts.ConfirmTTL = 72 * time.Hour
	}
	if opts.ConfirmResendAfter <= 0 {
		opts.ConfirmResendAfter = 10 * time.Minute
	}
	if opts.LockTTL <= 0 {
		opts.LockTTL = time.Minute
	}
	if opts.SMTP.Timeout <= 0 {
		opts.SMTP.Timeout = 30 * time.Second
	}
	if opts.Bounces.SoftLimit <= 0 {
		opts.Bounces.SoftLimit = 3
	}
	opts.Signups = opts.Signups.withDefaults()
	if opts.Theme == (design.Theme{}) {
		opts.Theme = design.MustTheme("")
	}
	n := &Newsletter{st: st, opts: opts, log: opts.Logger, signupWake: make(chan struct{}, 1)}
	var errs []error
	bad := func(key string, err error) { errs = append(errs, fmt.Errorf("newsletter.%s: %w", key, err)) }

	from, err := ParseAddress(opts.From)
	if err != nil {
		bad("from", err)
	}
	n.from = from
	if opts.ReplyTo != "" {
		if n.replyTo, err = ParseAddress(opts.ReplyTo); err != nil {
			bad("reply_to", err)
		}
	}
	if opts.ListUnsubscribeMailto != "" {
		if _, err := ParseAddress(opts.ListUnsubscribeMailto); err != nil {
			bad("list_unsubscribe_mailto", err)
		}
	}
	n.site, err = url.Parse(strings.TrimSuffix(opts.SiteURL, "/"))
	if err != nil || n.site.Host == "" || (n.site.Scheme != "https" && n.site.Scheme != "http") {
		bad("site_url", fmt.Errorf("%q is not an absolute http(s) URL", opts.SiteURL))
	} else if n.site.Scheme != "https" {
		n.log.Warn("site URL is not https: messages carry no one-click unsubscribe (RFC 8058)", "site_url", opts.SiteURL)
	}
	if !strings.Contains(opts.IssuePath, "%d") {
		bad("issue_path", fmt.Errorf("%q has no %%d for the issue number", opts.IssuePath))
	}
	n.msgDomain = opts.MessageIDDomain
	if n.msgDomain == "" && from != nil {
		n.msgDomain = domainOf(from.Address)
	}
	if strings.ContainsAny(n.msgDomain, "<>@ \r\n") {
		bad("message_id_domain", fmt.Errorf("%q is not a domain", n.msgDomain))
	}
	if len(opts.Secret) < 16 {
		bad("secret", errors.New("need at least 16 bytes to sign tokens"))
	}
	if d := opts.Bounces.ReturnPathDomain; d != "" {
		if _, err := ParseAddress(bounce.LocalPart + "@" + d); err != nil || strings.ContainsAny(d, "@<> \r\n") {
			bad("bounces.domain", fmt.Errorf("%q is not a domain", d))
		}
	}
	n.returnPaths = bounce.VERP{Secret: opts.Secret, Domain: opts.Bounces.ReturnPathDomain}
	switch opts.SMTP.TLS {
	case "", "opportunistic", "mandatory", "implicit", "none":
	default:
		bad("smtp.tls", fmt.Errorf("%q is not one of opportunistic, mandatory, implicit, none", opts.SMTP.TLS))
	}
	if opts.SMTP.Host == "" && opts.OutboxDir == "" {
		bad("outbox_dir", errors.New("needed when no SMTP host is set"))
	}
	if opts.DKIM.KeyFile != "" {
		if n.opts.DKIM.Domain == "" && from != nil {
			n.opts.DKIM.Domain = domainOf(from.Address)
		}
		pem, err := os.ReadFile(opts.DKIM.KeyFile)
		if err != nil {
			bad("dkim.key_file", err)
		} else if key, err := gomail.PrivKeyFromPEM(pem); err != nil {
			bad("dkim.key_file", err)
		} else if opts.DKIM.Selector == "" {
			bad("dkim.selector", errors.New("needed with a DKIM key"))
		} else if n.dkim, err = newDKIM(key, n.opts.DKIM.Domain, opts.DKIM.Selector); err != nil {
			bad("dkim.key_file", err)
		}
	}
	if n.tmpl, err = newRenderer(opts.Templates); err != nil {
		bad("templates", err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	n.listID = n.makeListID()
	return n, nil
}

func domainOf(addr string) string {
	return addr[strings.LastIndexByte(addr, '@')+1:]
}

// issueURL is the web page of issue number.
func (n *Newsletter) issueURL(number int) string {
	return n.site.String() + fmt.Sprintf(n.opts.IssuePath, number)
}

// earlierURL is the place of an earlier entry on its issue's page.
func (n *Newsletter) earlierURL(e *store.Earlier) string {
	u := n.issueURL(e.IssueNumber)
	if n.opts.EntryAnchor != nil && e.ArticleKey != "" {
		u += "#" + n.opts.EntryAnchor(e.ArticleKey)
	}
	return u
}

// pageURL is a page below the site with a token query.
func (n *Newsletter) pageURL(path, token string) string {
	return n.site.String() + path + "?token=" + url.QueryEscape(token)
}
