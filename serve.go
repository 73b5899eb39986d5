package bulletin

import (
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

// Serve answers HTTP on addr (the configured one when empty) and runs the
// schedule until ctx ends; then it stops taking work, lets what is in flight
// finish within a grace period, and returns.
func (a *App) Serve(ctx context.Context, addr string) error {
	if addr == "" {
		addr = a.Config.Server.Addr
	}
	if err := a.AddConfiguredSubscribers(ctx); err != nil {
		return err
	}
	// The version is read first: a publish elsewhere while the feeds are
	// built is then caught by followPublishes, not missed.
	version, err := a.Store.PublishedVersion(ctx)
	if err != nil {
		return err
	}
	set, err := a.BuildFeeds(ctx)
	if err != nil {
		return err
	}
	a.feeds = feed.NewHandler(set)
	mux := http.NewServeMux()
	server.MountArchive(mux, a.feeds)
	news, err := a.Newsletter()
	if err != nil {
		return err
	}
	subs, err := server.NewSubscriptions(news, a.Config.Site.Title, a.Templates, a.Log)
	if err != nil {
		return err
	}
	subs.Routes(mux)
	defer subs.Wait() // confirmation emails still on their way
	reg := &metrics.Registry{}
	server.MountOps(mux, a.Store, reg, a.Log)

	sched, err := a.scheduler(a.Jobs(), reg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if msg := siteURLMismatch(a.Config.Site.URL, ln.Addr().String()); msg != "" {
		a.Log.Warn(msg, "site_url", a.Config.Site.URL, "listening", ln.Addr().String())
	}
	var wg sync.WaitGroup
	var serveErr, schedErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Add(3)
	go func() {
		defer wg.Done()
		a.followPublishes(ctx, version, refreshEvery)
	}()
	go func() {
		defer wg.Done()
		serveErr = server.Serve(ctx, ln, mux, a.Log, shutdownGrace)
		cancel() // a server that cannot serve stops the schedule too
	}()
	go func() {
		defer wg.Done()
		schedErr = sched.Run(ctx)
		cancel()
	}()
	wg.Wait()
	if errors.Is(schedErr, context.Canceled) {
		schedErr = nil
	}
	return errors.Join(serveErr, schedErr)
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
// serves, and rebuilds when they differ.
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
		set, err := a.BuildFeeds(ctx)
		if err != nil {
			a.Log.Error("cannot rebuild the feeds", "err", err)
			continue
		}
		a.feeds.Update(set)
		served = v
		a.Log.Info("feeds rebuilt after a publish elsewhere", "version", v)
	}
}
