package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"github.com/bulletin-app/bulletin/internal/design"
	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/store"
)

// Subscriber is what the subscription pages need of the newsletter.
type Subscriber interface {
	// QueueSignup records a sign-up whose confirmation is sent in the
	// background; it returns newsletter.ErrQueueFull when too many wait.
	QueueSignup(ctx context.Context, address, name string) error
	CheckConfirmToken(ctx context.Context, token string) (store.Subscriber, error)
	Confirm(ctx context.Context, token string) (store.Subscriber, error)
	Unsubscribe(ctx context.Context, token string) (string, error)
	CheckUnsubscribeToken(token string) (string, error)
	UnsubscribeToken(email string) string
	// The preferences page: every issue or a weekly digest, a pause.
	PreferencesURL(email string) string
	Preferences(ctx context.Context, token string) (store.Subscriber, error)
	SetPreferences(ctx context.Context, token string, cadence store.Cadence, pausedUntil time.Time) (store.Subscriber, error)
}

// Subscriptions serves double opt-in and unsubscribing:
//
//	GET  /subscribe     the form
//	POST /subscribe     form or JSON {"email", "name"}: sends a confirmation link
//	GET  /confirm       ?token=: asks to confirm (a page with a button)
//	POST /confirm       token (the page's button): confirms
//	GET  /unsubscribe   ?token=: asks to confirm
//	POST /unsubscribe   ?token= (RFC 8058 one-click, or the page's button)
//	GET  /preferences   ?token=: every issue or a weekly digest, a pause
//	POST /preferences   token, cadence, pause_until: saves them
//
// The JSON form of POST /subscribe may be called from the pages of other
// sites (an embedded sign-up form) when their origin is in CORSOrigins.
type Subscriptions struct {
	nl    Subscriber
	site  design.Site
	frame design.Frame
	log   *slog.Logger
	pages *template.Template

	// CORSOrigins are the origins ("https://example.org") whose pages may
	// call POST /subscribe with JSON and read the reply; others' browsers
	// refuse them. A plain HTML form posts from anywhere, as forms do.
	CORSOrigins []string

	// PerClient limits POST /subscribe per client address; the zero value
	// allows 5 at once and one more every 20 seconds.
	PerClient rate.Limit
	Burst     int
	// TrustedProxies are the networks of the reverse proxies in front of
	// the server: only a request from one of them has its client address
	// taken from X-Forwarded-For (see ClientAddr).
	TrustedProxies []netip.Prefix

	mu      sync.Mutex
	clients map[string]*client
	sweep   time.Time
}

type client struct {
	lim  *rate.Limiter
	seen time.Time
}

// Page templates, looked up in the templates folder.
const (
	layoutPage      = "layout.html.tmpl"
	subscribePage   = "subscribe.html.tmpl"
	statusPage      = "subscribe-status.html.tmpl"
	confirmPage     = "subscribe-confirm.html.tmpl"
	unsubscribePage = "unsubscribe.html.tmpl"
	preferencesPage = "preferences.html.tmpl"
)

var pageFiles = []string{layoutPage, subscribePage, statusPage, confirmPage, unsubscribePage, preferencesPage}

// honeypot is a form field people never see nor fill in.
const honeypot = "website"

// CheckTemplates parses the subscription pages of fsys, so that a broken
// one is found at start-up rather than when serve starts.
func CheckTemplates(fsys fs.FS) error {
	if _, err := template.ParseFS(fsys, pageFiles...); err != nil {
		return fmt.Errorf("subscription pages: %w", err)
	}
	if _, err := design.LoadStyle(fsys, design.MustTheme("")); err != nil {
		return fmt.Errorf("subscription pages: %w", err)
	}
	return nil
}

// NewSubscriptions parses the pages from tmpl (see templates.Overlay);
// they show site in the frame every page shares.
func NewSubscriptions(nl Subscriber, site design.Site, tmpl fs.FS, log *slog.Logger) (*Subscriptions, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if site.Theme == (design.Theme{}) {
		site.Theme = design.MustTheme("")
	}
	pages, err := template.ParseFS(tmpl, pageFiles...)
	if err != nil {
		return nil, fmt.Errorf("subscription pages: %w", err)
	}
	style, err := design.LoadStyle(tmpl, site.Theme)
	if err != nil {
		return nil, fmt.Errorf("subscription pages: %w", err)
	}
	frame := design.Frame{Site: site, Root: site.Path(), Style: style, Compact: true}
	return &Subscriptions{nl: nl, site: site, frame: frame, log: log, pages: pages, clients: map[string]*client{}}, nil
}

// Routes mounts the pages on mux.
func (s *Subscriptions) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /subscribe", s.form)
	mux.HandleFunc("POST /subscribe", s.subscribe)
	// A GET (or HEAD) never changes anything: mail scanners fetch every
	// link of a message.
	mux.HandleFunc("GET /confirm", s.confirmForm)
	mux.HandleFunc("POST /confirm", s.confirm)
	mux.HandleFunc("GET /unsubscribe", s.unsubscribeForm)
	mux.HandleFunc("POST /unsubscribe", s.unsubscribe)
	mux.HandleFunc("GET /preferences", s.preferencesForm)
	mux.HandleFunc("POST /preferences", s.preferences)
	mux.HandleFunc("OPTIONS /subscribe", s.preflight)
}

type pageData struct {
	design.Frame
	Title   string
	Message string
	Error   string
	Email   string
	Name    string
	Token   string
	Done    bool
	// The preferences page, and the unsubscribe page's link to it.
	PreferencesURL   string
	Subscribed       bool
	Cadence          string
	PausedUntil      string // 2006-01-02, or ""
	Today, MaxDate   string
	Saved            bool
	UnsubscribeToken string
}

func (s *Subscriptions) render(w http.ResponseWriter, status int, page string, d pageData) {
	d.Frame = s.frame
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // tokens are in the URL
	w.WriteHeader(status)
	if err := s.pages.ExecuteTemplate(w, page, d); err != nil {
		s.log.Error("render page", "page", page, "err", err)
	}
}

func (s *Subscriptions) form(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, subscribePage, pageData{Title: "Subscribe"})
}

const checkInbox = "Thanks! If this address is not subscribed yet, a message with a confirmation link is on its way. Please check your inbox."

func (s *Subscriptions) subscribe(w http.ResponseWriter, r *http.Request) {
	wantJSON := isJSON(r.Header.Get("Content-Type"))
	s.allowOrigin(w, r)
	reply := func(status int, msg string, d pageData) {
		if wantJSON {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			key := "message"
			if status >= 400 {
				key = "error"
			}
			json.NewEncoder(w).Encode(map[string]string{key: msg})
			return
		}
		if status >= 400 {
			d.Error = msg
			s.render(w, status, subscribePage, d)
			return
		}
		s.render(w, status, statusPage, pageData{Title: "Check your inbox", Message: msg})
	}
	if !s.allow(s.clientIP(r)) {
		w.Header().Set("Retry-After", "60")
		reply(http.StatusTooManyRequests, "Too many requests; please try again in a minute.", pageData{Title: "Subscribe"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	var in struct{ Email, Name, Website string }
	if wantJSON {
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			reply(http.StatusBadRequest, "The request is not valid JSON.", pageData{})
			return
		}
	} else {
		if err := r.ParseForm(); err != nil {
			reply(http.StatusBadRequest, "The form could not be read.", pageData{Title: "Subscribe"})
			return
		}
		in.Email, in.Name, in.Website = r.PostForm.Get("email"), r.PostForm.Get("name"), r.PostForm.Get(honeypot)
	}
	d := pageData{Title: "Subscribe", Email: in.Email, Name: in.Name}
	if in.Website != "" {
		// A bot filled in the hidden field: pretend all is well.
		s.log.Info("subscribe: honeypot filled, ignored", "client", s.clientIP(r))
		reply(http.StatusAccepted, checkInbox, d)
		return
	}
	if _, err := newsletter.ValidEmail(in.Email); err != nil {
		reply(http.StatusBadRequest, "Please enter a valid email address.", d)
		return
	}
	if strings.ContainsAny(in.Name, "\r\n") || len(in.Name) > 200 || !utf8.ValidString(in.Name) {
		reply(http.StatusBadRequest, "Please enter your name on one line.", d)
		return
	}
	// The confirmation goes out in the background, from a queue that
	// bounds how many are sent at once: the reply must not take longer,
	// nor differ, for an address that is already known, and a crowd of
	// sign-ups must not become a crowd of connections to the mail server.
	switch err := s.nl.QueueSignup(r.Context(), in.Email, in.Name); {
	case errors.Is(err, newsletter.ErrQueueFull):
		s.log.Warn("subscribe: the sign-up queue is full", "client", s.clientIP(r))
		w.Header().Set("Retry-After", "300")
		reply(http.StatusServiceUnavailable, "Too many sign-ups at the moment; please try again in a few minutes.", d)
		return
	case errors.Is(err, newsletter.ErrInvalidAddress):
		reply(http.StatusBadRequest, "Please enter a valid email address.", d)
		return
	case err != nil:
		s.log.Error("subscribe", "err", err)
		reply(http.StatusServiceUnavailable, "Something went wrong; please try again later.", d)
		return
	}
	reply(http.StatusAccepted, checkInbox, d)
}

// confirmForm shows the button that confirms, when the link still works.
func (s *Subscriptions) confirmForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	sub, err := s.nl.CheckConfirmToken(r.Context(), token)
	if err != nil {
		s.confirmFailed(w, sub, err)
		return
	}
	s.render(w, http.StatusOK, confirmPage, pageData{Title: "Confirm your subscription", Email: sub.Email, Token: token})
}

func (s *Subscriptions) confirm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	r.ParseForm()
	token := r.PostForm.Get("token")
	if token == "" {
		token = r.URL.Query().Get("token")
	}
	sub, err := s.nl.Confirm(r.Context(), token)
	switch {
	case err != nil:
		s.confirmFailed(w, sub, err)
	case sub.Status != store.StatusConfirmed:
		s.render(w, http.StatusOK, statusPage, pageData{Title: "Not confirmed",
			Message: "This address cannot be subscribed again from here; please write to us."})
	default:
		s.render(w, http.StatusOK, statusPage, pageData{Title: "Subscribed", Email: sub.Email,
			Message: "You are subscribed. The next issue will come to " + sub.Email + "."})
	}
}

func (s *Subscriptions) confirmFailed(w http.ResponseWriter, sub store.Subscriber, err error) {
	switch {
	case errors.Is(err, newsletter.ErrTokenUsed) && sub.Status == store.StatusConfirmed:
		s.render(w, http.StatusOK, statusPage, pageData{Title: "Already subscribed", Email: sub.Email,
			Message: "This link has been used: " + sub.Email + " is subscribed."})
	case errors.Is(err, newsletter.ErrTokenUsed):
		s.render(w, http.StatusBadRequest, statusPage, pageData{Title: "Link no longer valid",
			Message: "This confirmation link has been used, or the subscription has changed since it was sent. Please subscribe again to get a new one."})
	case errors.Is(err, newsletter.ErrBadToken):
		s.render(w, http.StatusBadRequest, statusPage, pageData{Title: "Link expired",
			Message: "This confirmation link is invalid or has expired. Please subscribe again to get a new one."})
	default:
		s.log.Error("confirm", "err", err)
		s.render(w, http.StatusInternalServerError, statusPage, pageData{Title: "Something went wrong", Message: "Please try again later."})
	}
}

func (s *Subscriptions) unsubscribeForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	email, err := s.nl.CheckUnsubscribeToken(token)
	if err != nil {
		s.render(w, http.StatusBadRequest, statusPage, pageData{Title: "Invalid link", Message: "This unsubscribe link is not valid."})
		return
	}
	s.render(w, http.StatusOK, unsubscribePage, pageData{Title: "Unsubscribe", Email: email, Token: token,
		PreferencesURL: s.nl.PreferencesURL(email)})
}

// unsubscribe serves both the page's button and RFC 8058 one-click POSTs,
// which carry the token in the URL and no cookie or session.
func (s *Subscriptions) unsubscribe(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	r.ParseForm()
	token := r.URL.Query().Get("token")
	if token == "" {
		token = r.PostForm.Get("token")
	}
	email, err := s.nl.Unsubscribe(r.Context(), token)
	switch {
	case errors.Is(err, newsletter.ErrBadToken):
		s.render(w, http.StatusBadRequest, statusPage, pageData{Title: "Invalid link", Message: "This unsubscribe link is not valid."})
	case err != nil:
		s.log.Error("unsubscribe", "err", err)
		s.render(w, http.StatusInternalServerError, statusPage, pageData{Title: "Something went wrong", Message: "Please try again later."})
	default:
		s.render(w, http.StatusOK, unsubscribePage, pageData{Title: "Unsubscribed", Email: email, Done: true})
	}
}

func isJSON(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt == "application/json"
}

func (s *Subscriptions) clientIP(r *http.Request) string {
	return ClientKey(ClientAddr(r, s.TrustedProxies))
}

// ClientAddr is the address of the client that sent r. That is the peer
// of the connection, unless the peer is one of the trusted proxies: then
// X-Forwarded-For is read from its end, each proxy having added the
// address it got the request from, and the first address found that is
// not a trusted proxy is the client. Whatever stands before it was written
// by the client itself and is ignored. A request from anywhere else has
// its X-Forwarded-For ignored, so no one can choose the address they are
// counted as.
func ClientAddr(r *http.Request, trusted []netip.Prefix) string {
	peer := r.RemoteAddr
	if host, _, err := net.SplitHostPort(peer); err == nil {
		peer = host
	}
	if !isTrusted(peer, trusted) {
		return peer
	}
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		list := strings.Split(hops[i], ",")
		for j := len(list) - 1; j >= 0; j-- {
			hop := strings.TrimSpace(list[j])
			a, err := netip.ParseAddr(strings.Trim(hop, "[]"))
			if ap, perr := netip.ParseAddrPort(hop); err != nil && perr == nil {
				a, err = ap.Addr(), nil // some proxies add the client's port
			}
			if err != nil {
				// Not an address: nothing before it can be trusted. The
				// proxy that passed it on is who is counted.
				return peer
			}
			peer = a.Unmap().String()
			if !isTrusted(peer, trusted) {
				return peer
			}
		}
	}
	return peer // every hop is a proxy of ours: the first one
}

func isTrusted(addr string, trusted []netip.Prefix) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientKey is what a rate limit counts a client by: an IPv4 address, or
// the /64 an IPv6 address is in, since one client usually holds a whole
// /64 and could take a new address for every request.
func ClientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is6() || a.Is4In6() {
		return ip
	}
	p, err := a.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

// allow applies the per-client rate limit, forgetting idle clients.
func (s *Subscriptions) allow(ip string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if now.Sub(s.sweep) > 10*time.Minute {
		for k, c := range s.clients {
			if now.Sub(c.seen) > 10*time.Minute {
				delete(s.clients, k)
			}
		}
		s.sweep = now
	}
	c := s.clients[ip]
	if c == nil {
		lim, burst := s.PerClient, s.Burst
		if lim == 0 {
			lim = rate.Every(20 * time.Second)
		}
		if burst == 0 {
			burst = 5
		}
		c = &client{lim: rate.NewLimiter(lim, burst)}
		s.clients[ip] = c
	}
	c.seen = now
	return c.lim.Allow()
}

// allowOrigin lets the page of an origin in CORSOrigins read the reply to
// its request.
func (s *Subscriptions) allowOrigin(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	w.Header().Add("Vary", "Origin")
	if origin == "" || !slices.ContainsFunc(s.CORSOrigins, func(o string) bool { return strings.EqualFold(o, origin) }) {
		return false
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	return true
}

// preflight answers a browser that asks whether a page of another origin
// may POST JSON to /subscribe: yes for the origins in CORSOrigins, with
// nothing else than the POST and its Content-Type; no (403, and no CORS
// headers, which browsers read as no) for the others.
func (s *Subscriptions) preflight(w http.ResponseWriter, r *http.Request) {
	if !s.allowOrigin(w, r) || r.Header.Get("Access-Control-Request-Method") != http.MethodPost {
		w.Header().Del("Access-Control-Allow-Origin")
		w.WriteHeader(http.StatusForbidden)
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "POST")
	h.Set("Access-Control-Allow-Headers", "Content-Type")
	h.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}
