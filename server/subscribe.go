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
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"

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
}

// Subscriptions serves double opt-in and unsubscribing:
//
//	GET  /subscribe     the form
//	POST /subscribe     form or JSON {"email", "name"}: sends a confirmation link
//	GET  /confirm       ?token=: asks to confirm (a page with a button)
//	POST /confirm       token (the page's button): confirms
//	GET  /unsubscribe   ?token=: asks to confirm
//	POST /unsubscribe   ?token= (RFC 8058 one-click, or the page's button)
type Subscriptions struct {
	nl    Subscriber
	title string
	log   *slog.Logger
	pages *template.Template

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
	subscribePage   = "subscribe.html.tmpl"
	statusPage      = "subscribe-status.html.tmpl"
	confirmPage     = "subscribe-confirm.html.tmpl"
	unsubscribePage = "unsubscribe.html.tmpl"
)

// honeypot is a form field people never see nor fill in.
const honeypot = "website"

// CheckTemplates parses the subscription pages of fsys, so that a broken
// one is found at start-up rather than when serve starts.
func CheckTemplates(fsys fs.FS) error {
	if _, err := template.ParseFS(fsys, subscribePage, statusPage, confirmPage, unsubscribePage); err != nil {
		return fmt.Errorf("subscription pages: %w", err)
	}
	return nil
}

// NewSubscriptions parses the pages from tmpl (see templates.Overlay).
func NewSubscriptions(nl Subscriber, siteTitle string, tmpl fs.FS, log *slog.Logger) (*Subscriptions, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pages, err := template.ParseFS(tmpl, subscribePage, statusPage, confirmPage, unsubscribePage)
	if err != nil {
		return nil, fmt.Errorf("subscription pages: %w", err)
	}
	return &Subscriptions{nl: nl, title: siteTitle, log: log, pages: pages, clients: map[string]*client{}}, nil
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
}

type pageData struct {
	Site    string
	Title   string
	Message string
	Error   string
	Email   string
	Name    string
	Token   string
	Done    bool
}

func (s *Subscriptions) render(w http.ResponseWriter, status int, page string, d pageData) {
	d.Site = s.title
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
	s.render(w, http.StatusOK, unsubscribePage, pageData{Title: "Unsubscribe", Email: email, Token: token})
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
	return clientKey(ClientAddr(r, s.TrustedProxies))
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

// clientKey is what the rate limit counts by: an IPv4 address, or the /64
// an IPv6 address is in, since one client usually holds a whole /64 and
// could take a new address for every request.
func clientKey(ip string) string {
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
