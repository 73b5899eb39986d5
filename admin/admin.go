// Package admin is the editor's desk: the pages under /admin/ where
// editors read, change, preview, schedule and send issues, and look after
// subscribers and sources, and where admins manage who may sign in.
//
// It is server-rendered with html/template and a little JavaScript of its
// own (the live view of a send), served from /admin/static/ under a policy
// that runs no other script. People sign in with a name and a password
// (argon2id hashes); a session is a row in the store whose cookie carries
// its id and a secret the store keeps only a hash of. Every form carries a
// token of its session, and cross-origin posts are refused besides.
//
// What the desk needs of bulletin is declared here, as the App and Accounts
// interfaces: the root package wires them, and admin imports nothing above
// it.
package admin

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/store"
)

// App is what the desk asks of bulletin: the issues and their review, the
// subscribers, the sources and the audit log. An actor is who the audit log
// names: "admin:" and the user's name.
type App interface {
	// Issues and their review (see bulletin's review.go for each one's
	// rules and errors).
	ListIssues(ctx context.Context, limit int) ([]store.IssueSummary, error)
	Issue(ctx context.Context, n int) (store.Issue, error)
	SetSubject(ctx context.Context, actor string, n int, subject string) error
	SetIntro(ctx context.Context, actor string, n int, intro string) error
	MoveEntry(ctx context.Context, actor string, n int, entry int64, to int) error
	DropEntry(ctx context.Context, actor string, n int, entry int64) error
	SetLead(ctx context.Context, actor string, n int, entry int64) error
	EditEntry(ctx context.Context, actor string, n int, entry int64, title, summary *string) error
	RestoreEntry(ctx context.Context, actor string, n int, entry int64) error
	// Release publishes issue n and leaves its send to the send-scheduled
	// job, within the minute: a web request does not wait for a send.
	Release(ctx context.Context, actor string, n int) error
	ParseSendTime(s string) (time.Time, error)
	ScheduleIssue(ctx context.Context, actor string, n int, at time.Time) error
	CancelSchedule(ctx context.Context, actor string, n int) error
	// Location is the schedule's time zone: times are shown and read in it.
	Location() *time.Location
	// Review tells whether digest.review is on: issues are drafts, and
	// the send-scheduled job runs.
	Review() bool
	PreviewIssue(ctx context.Context, n int, to string) (Preview, error)
	TestSend(ctx context.Context, actor string, n int, to string) (newsletter.Summary, error)
	DeliveryCounts(ctx context.Context, n int) (map[store.DeliveryStatus]int, error)
	BounceCounts(ctx context.Context, n int) (map[store.BounceKind]int, error)

	// Subscribers.
	SubscriberPage(ctx context.Context, q store.SubscriberQuery) ([]store.Subscriber, bool, error)
	CountSubscribers(ctx context.Context) (map[store.SubscriberStatus]int, error)
	ConfirmedByDay(ctx context.Context, days int) ([]store.DayCount, error)
	Subscriber(ctx context.Context, id int64) (store.Subscriber, error)
	SubscriberDeliveries(ctx context.Context, id int64, limit int) ([]store.Delivery, error)
	SubscriberBounces(ctx context.Context, id int64, limit int) ([]store.BounceEvent, error)
	// AddSubscriber adds an address: confirmed at once when the editor
	// vouches for it, else pending with a confirmation link sent.
	AddSubscriber(ctx context.Context, address, name string, confirmed bool) (store.Subscriber, newsletter.Subscribed, error)
	ImportSubscribers(ctx context.Context, r io.Reader) (newsletter.ImportReport, error)
	ExportSubscribers(ctx context.Context, w io.Writer, status string) (int, error)
	// Unsubscribe unsubscribes an address; changed is false if it was not
	// subscribed.
	Unsubscribe(ctx context.Context, address string) (store.Subscriber, bool, error)
	Forget(ctx context.Context, address string) error

	// Sources.
	Sources(ctx context.Context) ([]Source, error)
	// FetchSource reads one source now, as collect does, paused or not,
	// and says what it found.
	FetchSource(ctx context.Context, name string) (string, error)
	PauseSource(ctx context.Context, name, actor string) (bool, error)
	ResumeSource(ctx context.Context, name, actor string) (bool, error)

	// The audit log.
	AuditLog(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, error)
	Audit(ctx context.Context, e store.AuditEntry) error
}

// Accounts keeps the desk's users and sessions (a *store.Store does).
type Accounts interface {
	AddAdminUser(ctx context.Context, u store.AdminUser) (store.AdminUser, error)
	AdminUserByName(ctx context.Context, name string) (store.AdminUser, error)
	AdminUser(ctx context.Context, id int64) (store.AdminUser, error)
	AdminUsers(ctx context.Context) ([]store.AdminUser, error)
	SetAdminPassword(ctx context.Context, id int64, hash, keep string) error
	RehashAdminPassword(ctx context.Context, id int64, hash string) error
	SetAdminEmail(ctx context.Context, id int64, email string) error
	SetAdminRole(ctx context.Context, id int64, role store.AdminRole) error
	RemoveAdminUser(ctx context.Context, id int64) error
	AddAdminSession(ctx context.Context, se store.AdminSession) (store.AdminSession, error)
	AdminSession(ctx context.Context, id string) (store.AdminSession, error)
	TouchAdminSession(ctx context.Context, id string) error
	RemoveAdminSession(ctx context.Context, id string) error
	ExpireAdminSessions(ctx context.Context, createdBefore, seenBefore time.Time) (int, error)
	AddAudit(ctx context.Context, e store.AuditEntry) error
}

// Preview is an issue as it goes out: its email's subject and parts, and
// its web page.
type Preview struct {
	Issue      int
	Subject    string
	HTML, Text string
	Page       []byte
}

// Source is one configured source and what the store knows of it.
type Source struct {
	Name     string
	Kind     string // "feed" or "folder"
	Location string // the feed's URL or the folder
	// State is a feed's fetch state; zero for a folder, and for a feed
	// never fetched.
	State         store.NamedSourceState
	Articles      int
	LastCollected time.Time
	Paused        *store.PausedSource // nil: collected
}

// Failing tells whether the source's failures are worth reporting.
func (s Source) Failing() bool { return !s.State.FailingSince.IsZero() }

// Options tune the desk. The zero value works.
type Options struct {
	// Site is the site's title, shown in every page's header.
	Site string
	// HTTPS says visitors reach the site over https (site.url is https):
	// the session cookie is then Secure. A request that came over TLS
	// gets a Secure cookie anyway.
	HTTPS bool
	// SiteURL is the public site's address (site.url). The page preview
	// resolves its relative links (style, icon, archive, feeds) against
	// the issue's place under it, as the published page does; empty: they
	// stay relative to the desk.
	SiteURL string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed, for the sign-in throttle (see server.ClientAddr).
	TrustedProxies []netip.Prefix
	// IdleTimeout ends a session unused for so long; 0: 12 hours.
	IdleTimeout time.Duration
	// Lifetime ends a session so long after its sign-in, however busy;
	// 0: 7 days.
	Lifetime time.Duration
	// Now is the desk's clock; nil: time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// Defaults of Options.
const (
	defaultIdleTimeout = 12 * time.Hour
	defaultLifetime    = 7 * 24 * time.Hour
)

// handler serves the desk.
type handler struct {
	app      App
	acc      Accounts
	opts     Options
	log      *slog.Logger
	pages    pages
	mux      *http.ServeMux
	throttle *throttle
}

// New returns the desk, to be mounted at /admin/ of the public server
// (inside its security headers: the desk sets its own
// Content-Security-Policy).
func New(app App, acc Accounts, opts Options) http.Handler {
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = defaultIdleTimeout
	}
	if opts.Lifetime <= 0 {
		opts.Lifetime = defaultLifetime
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &handler{app: app, acc: acc, opts: opts, log: log, mux: http.NewServeMux(), throttle: newThrottle(opts.Now)}
	h.pages = h.parsePages()
	h.routes()
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(h.crossOrigin))
	return withPolicy(cop.Handler(h.mux))
}

func (h *handler) now() time.Time { return h.opts.Now() }
