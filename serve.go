package bulletin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bulletin-app/bulletin/feed"
	"github.com/bulletin-app/bulletin/internal/metrics"
	"github.com/bulletin-app/bulletin/server"
)

// ServeOptions override the config's addresses for one serve.
type ServeOptions struct {
	Addr        string // the public address; empty: server.addr
	MetricsAddr string // where /metrics is served; empty: server.metrics_addr
	// Listener, if set, is where the public address is served instead of
	// Addr: a test listens on a port of its own choosing first.
	Listener net.Listener
}

// Serve answers HTTP on the public address and the metrics address, sends
// the confirmations of sign-ups, and runs the schedule until ctx ends; then
// it stops taking work, lets what is in flight finish within a grace
// period, and returns.
func (a *App) Serve(ctx context.Context, opts ServeOptions) error {
	addr, metricsAddr := cmp.Or(opts.Addr, a.Config.Server.Addr), cmp.Or(opts.MetricsAddr, a.Config.Server.MetricsAddr)
	if err := a.AddConfiguredSubscribers(ctx); err != nil {
		return err
	}
	// The version is read first: a publish elsewhere once serving has
	// begun is then caught by followPublishes, not missed. Nothing is
	// rendered before it is asked for.
	version, err := a.Store.PublishedVersion(ctx)
	if err != nil {
		return err
	}
	if a.live, err = feed.NewLive(a.feedSite(), a.Store); err != nil {
		return err
	}
	feeds := feed.NewHandler(a.live)
	feeds.Log = a.Log
	mux := http.NewServeMux()
	server.MountArchive(mux, feeds)
	news, err := a.Newsletter()
	if err != nil {
		return err
	}
	subs, err := server.NewSubscriptions(news, a.designSite(), a.Templates, a.Log)
	if err != nil {
		return err
	}
	subs.TrustedProxies = a.Config.Server.trustedProxies()
	subs.CORSOrigins = a.Config.Server.CORSOrigins
	subs.Routes(mux)
	if o, ok := a.webhookOptions(); ok {
		hooks, err := server.NewWebhooks(news, o, a.Log)
		if err != nil {
			return err
		}
		hooks.Routes(mux)
	}
	reg := &metrics.Registry{}
	token := a.Config.Server.MetricsToken
	server.MountHealth(mux, a.Store, a.Log)
	if token != "" {
		server.MountMetrics(mux, a.Store, reg, token, a.Log)
	}
	// The editor's desk, on the same listener and inside the same
	// security headers; it sets its own policy, which runs its script.
	mux.Handle("/admin/", a.Desk())

	sched, err := a.scheduler(a.Jobs(), reg)
	if err != nil {
		return err
	}
	ln := opts.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", addr); err != nil {
			return fmt.Errorf("serve: %w", err)
		}
	}
	var metricsLn net.Listener
	if metricsAddr != "off" && metricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", metricsAddr); err != nil {
			ln.Close()
			return fmt.Errorf("serve: server.metrics_addr: %w", err)
		}
		if token == "" && !isLoopbackAddr(metricsLn.Addr()) {
			a.Log.Warn("metrics are served to anyone who reaches server.metrics_addr; set server.metrics_token", "metrics_addr", metricsLn.Addr().String())
		}
	}
	if msg := siteURLMismatch(a.Config.Site.URL, ln.Addr().String()); msg != "" {
		a.Log.Warn(msg, "site_url", a.Config.Site.URL, "listening", ln.Addr().String())
	}
	secure := server.SecurityOptions{HTTPS: strings.HasPrefix(a.Config.Site.URL, "https:")}
	var wg sync.WaitGroup
	var serveErr, metricsErr, schedErr, signupErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Go(func() { a.followPublishes(ctx, version, refreshEvery) })
	wg.Go(func() {
		serveErr = server.Serve(ctx, ln, server.Secure(mux, secure), a.Log, shutdownGrace)
		cancel() // a server that cannot serve stops the schedule too
	})
	if metricsLn != nil {
		ops := http.NewServeMux()
		server.MountOps(ops, a.Store, reg, token, a.Log)
		wg.Go(func() {
			metricsErr = server.Serve(ctx, metricsLn, server.Secure(ops, server.SecurityOptions{}), a.Log.With("listener", "metrics"), shutdownGrace)
			cancel()
		})
	}
	wg.Go(func() {
		// Confirmations still being sent when ctx ends finish first.
		signupErr = news.RunSignups(ctx)
	})
	wg.Go(func() {
		schedErr = a.runSchedule(ctx, sched)
		cancel()
	})
	wg.Wait()
	if errors.Is(schedErr, context.Canceled) {
		schedErr = nil
	}
	return errors.Join(serveErr, metricsErr, schedErr, signupErr)
}

func isLoopbackAddr(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// siteURLMismatch says, when site.url points at this machine but not at
// the address serve listens on, that every link in feeds, pages and email
// leads elsewhere: the case of serve --addr on another port with the
// default site.url. A site.url on another host (behind a reverse proxy, or
// public) is not compared.
func siteURLMismatch(siteURL, listening string) string {
	u, err := url.Parse(siteURL)
	if err != nil || u.Host == "" {
		return ""
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if !isLoopback(host) {
		return ""
	}
	lhost, lport, err := net.SplitHostPort(listening)
	if err != nil {
		return ""
	}
	if lport == port && (isLoopback(lhost) || net.ParseIP(lhost).IsUnspecified()) {
		return ""
	}
	return "site.url points at this machine, but not at the address served: links in feeds, pages and email lead elsewhere; set site.url"
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// refreshEvery is how often serve looks for a publish by another process.
const refreshEvery = 10 * time.Second

// followPublishes keeps the served feeds and pages in step with the store
// when another process (bulletin run or publish by hand) builds an issue:
// every interval it compares the store's published version with the one it
// serves, and forgets what it rendered when they differ.
func (a *App) followPublishes(ctx context.Context, served string, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		v, err := a.Store.PublishedVersion(ctx)
		if err != nil || v == served {
			continue
		}
		a.live.Reset()
		served = v
		a.Log.Debug("feeds to render again after a change elsewhere", "version", v)
	}
}

// webhookOptions are the bounce webhooks config sets up; ok is false when
// it sets up none.
func (a *App) webhookOptions() (o server.WebhookOptions, ok bool) {
	w := a.Config.Newsletter.Bounces.Webhooks
	if len(w.SES.TopicARNs) > 0 {
		o.SES = &server.SESOptions{TopicARNs: w.SES.TopicARNs}
	}
	if p := w.Postmark; p.Username != "" || p.Secret != "" {
		o.Postmark = &server.PostmarkOptions{Username: p.Username, Password: p.Password, Secret: p.Secret}
	}
	if w.Mailgun.SigningKey != "" {
		o.Mailgun = &server.MailgunOptions{SigningKey: w.Mailgun.SigningKey, MaxAge: w.MaxAge}
	}
	if w.SendGrid.PublicKey != "" {
		o.SendGrid = &server.SendGridOptions{PublicKey: w.SendGrid.PublicKey, MaxAge: w.MaxAge}
	}
	return o, o.SES != nil || o.Postmark != nil || o.Mailgun != nil || o.SendGrid != nil
}
