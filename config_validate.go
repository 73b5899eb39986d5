package bulletin

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/bulletin-app/bulletin/digest"
	"github.com/bulletin-app/bulletin/internal/design"
	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/schedule"
	"github.com/bulletin-app/bulletin/server"
	"github.com/bulletin-app/bulletin/store"
)

// validate checks values that decode but make no sense, naming each key with
// the line it is on in the file the user wrote.
func (c *Config) validate(name string, lineOf map[string]int) ConfigErrors {
	var errs ConfigErrors
	bad := func(key, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		for _, d := range c.Deprecated {
			if d.Use == key { // named as the file writes it
				key, msg = d.Key, msg+" (the key is "+d.Use+" now)"
			}
		}
		errs = append(errs, &ConfigError{File: name, Line: lineOf[key], Key: key, Msg: msg})
	}

	if err := checkURL(c.Site.URL); err != nil {
		bad("site.url", "%v", err)
	}
	if c.Site.Title == "" {
		bad("site.title", "must not be empty")
	}
	for _, k := range []struct{ key, val string }{{"site.icon", c.Site.Icon}, {"site.logo", c.Site.Logo}, {"feeds.hub", c.Feeds.Hub}} {
		if k.val != "" {
			if err := checkURL(k.val); err != nil {
				bad(k.key, "%v", err)
			}
		}
	}
	if _, err := design.NewTheme(c.Site.Accent); err != nil {
		bad("site.accent", "%v", err)
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	if c.PublicDir == "" {
		bad("public_dir", "must not be empty")
	}
	if c.Database.URL != "" {
		if err := checkDatabaseURL(c.Database.URL); err != nil {
			if c.Database.fromEnv {
				bad("database.url", "BULLETIN_DATABASE_URL: %v", err)
			} else {
				bad("database.url", "%v", err)
			}
		}
	}

	seen := map[string]bool{}
	for i, s := range c.Sources {
		key := fmt.Sprintf("sources[%d]", i)
		switch {
		case s.Name == "":
			bad(key+".name", "every source needs a name")
		case seen[s.Name]:
			bad(key+".name", "source %q is named twice", s.Name)
		}
		seen[s.Name] = true
		switch {
		case s.Folder == "" && s.Feed == "":
			bad(key, "a source needs a folder or a feed")
		case s.Folder != "" && s.Feed != "":
			bad(key, "a source has a folder or a feed, not both")
		case s.Feed != "":
			if err := checkURL(s.Feed); err != nil {
				bad(key+".feed", "%v", err)
			}
		}
		if !oneOf(s.FullText, "", "auto", "always", "never") {
			bad(key+".full_text", "is %q; want auto, always or never", s.FullText)
		}
	}

	if c.Fetch.Timeout <= 0 {
		bad("fetch.timeout", "must be a positive duration, like 20s")
	}
	if c.Fetch.MaxBytes <= 0 {
		bad("fetch.max_bytes", "must be positive")
	}
	if c.Fetch.ReportAfter < 1 {
		bad("fetch.report_after", "must be at least 1")
	}
	if c.Fetch.MaxItems < 1 {
		bad("fetch.max_items", "must be at least 1")
	}
	if c.Fetch.MaxPages < 1 {
		bad("fetch.max_pages", "must be at least 1; full_text: never fetches no pages")
	}
	if c.Fetch.CollectTimeout <= 0 {
		bad("fetch.collect_timeout", "must be a positive duration, like 10m")
	}
	for i, n := range c.Fetch.AllowNetworks {
		if _, err := parseNetwork(n); err != nil {
			bad(fmt.Sprintf("fetch.allow_networks[%d]", i), "%v", err)
		}
	}

	switch c.Digest.Summarizer {
	case "extractive":
	case "llm":
		if err := checkURL(c.Digest.LLM.BaseURL); err != nil {
			bad("digest.llm.base_url", "summarizer llm needs an endpoint: %v", err)
		}
		if c.Digest.LLM.Model == "" {
			bad("digest.llm.model", "summarizer llm needs a model")
		}
	default:
		bad("digest.summarizer", "is %q; want extractive or llm", c.Digest.Summarizer)
	}
	if c.Digest.Words < 10 {
		bad("digest.words", "must be at least 10")
	}
	if c.Digest.MaxSentences < 1 {
		bad("digest.max_sentences", "must be at least 1")
	}
	if c.Digest.MaxEntries < 0 {
		bad("digest.max_entries", "must be 0 (no limit) or more")
	}
	if c.Digest.Overflow != string(digest.OverflowWait) && c.Digest.Overflow != string(digest.OverflowDrop) {
		bad("digest.overflow", "is %q; want wait or drop", c.Digest.Overflow)
	}
	if c.Digest.MaxAge < 0 {
		bad("digest.max_age", "must be 0 (any age) or a positive duration")
	}
	if c.Digest.LLM.Timeout <= 0 {
		bad("digest.llm.timeout", "must be a positive duration")
	}
	if c.Digest.LLM.Concurrency < 1 {
		bad("digest.llm.concurrency", "must be at least 1")
	}
	if c.Digest.LLM.Retries < 0 || c.Digest.LLM.Retries > maxRetries {
		bad("digest.llm.retries", "must be from 0 to %d", maxRetries)
	}

	if c.Feeds.Items < 1 {
		bad("feeds.items", "must be at least 1")
	}

	n := c.Newsletter
	if _, err := newsletter.ParseAddress(n.From); err != nil {
		bad("newsletter.from", "%v", err)
	}
	if n.ReplyTo != "" {
		if _, err := newsletter.ParseAddress(n.ReplyTo); err != nil {
			bad("newsletter.reply_to", "%v", err)
		}
	}
	if n.UnsubscribeMailto != "" {
		if _, err := newsletter.ParseAddress(n.UnsubscribeMailto); err != nil {
			bad("newsletter.unsubscribe_mailto", "%v", err)
		}
	}
	if n.MessageIDDomain != "" && strings.ContainsAny(n.MessageIDDomain, " <>@\r\n") {
		bad("newsletter.message_id_domain", "%q is not a domain name", n.MessageIDDomain)
	}
	if n.SMTP.Host == "" && n.OutboxDir == "" {
		bad("newsletter.outbox_dir", "must not be empty when smtp.host is")
	}
	if n.SMTP.Port < 1 || n.SMTP.Port > 65535 {
		bad("newsletter.smtp.port", "%d is not a port number", n.SMTP.Port)
	}
	if !oneOf(n.SMTP.TLS, "opportunistic", "mandatory", "implicit", "none") {
		bad("newsletter.smtp.tls", "is %q; want opportunistic, mandatory, implicit or none", n.SMTP.TLS)
	}
	if n.Concurrency < 1 {
		bad("newsletter.concurrency", "must be at least 1")
	}
	if n.Rate < 0 {
		bad("newsletter.rate", "must not be negative")
	}
	if n.Retries < 0 || n.Retries > maxRetries {
		bad("newsletter.retries", "must be from 0 to %d", maxRetries)
	}
	if n.PauseAfter < 1 {
		bad("newsletter.pause_after", "must be at least 1")
	}
	if n.Confirmations.Concurrency < 1 {
		bad("newsletter.confirmations.concurrency", "must be at least 1")
	}
	if n.Confirmations.Rate <= 0 {
		bad("newsletter.confirmations.rate", "must be positive: confirmations sent per second at most")
	}
	if n.Confirmations.MaxQueued < 1 {
		bad("newsletter.confirmations.max_queued", "must be at least 1")
	}
	if (n.DKIM.KeyFile == "") != (n.DKIM.Selector == "") {
		bad("newsletter.dkim", "key_file and selector go together")
	}
	c.validateBounces(bad)

	for i, s := range c.Subscribers {
		if _, err := newsletter.ParseAddress(s); err != nil {
			bad(fmt.Sprintf("subscribers[%d]", i), "%v", err)
		}
	}

	if _, _, err := net.SplitHostPort(c.Server.Addr); err != nil {
		bad("server.addr", "%q is not HOST:PORT", c.Server.Addr)
	}
	if a := c.Server.MetricsAddr; a != "" {
		if _, _, err := net.SplitHostPort(a); err != nil {
			bad("server.metrics_addr", "%q is not HOST:PORT", a)
		} else if a == c.Server.Addr {
			bad("server.metrics_addr", "is server.addr: metrics are served apart from the public address (set server.metrics_token to serve them there, behind a token)")
		}
	}
	if t := c.Server.MetricsToken; t != "" && len(t) < 16 {
		bad("server.metrics_token", "is %d characters; use at least 16, e.g. from: openssl rand -hex 16", len(t))
	}
	for i, n := range c.Server.TrustedProxies {
		if _, err := parseNetwork(n); err != nil {
			bad(fmt.Sprintf("server.trusted_proxies[%d]", i), "%v", err)
		}
	}
	for i, o := range c.Server.CORSOrigins {
		if err := checkOrigin(o); err != nil {
			bad(fmt.Sprintf("server.cors_origins[%d]", i), "%v", err)
		}
	}

	loc, err := time.LoadLocation(c.Schedule.Timezone)
	if err != nil {
		bad("schedule.timezone", "unknown time zone %q", c.Schedule.Timezone)
		loc = time.UTC
	}
	if c.Schedule.CatchUp < 0 {
		bad("schedule.catch_up", "must not be negative")
	}
	jobs := make([]string, 0, len(c.Schedule.Jobs))
	for job := range c.Schedule.Jobs {
		jobs = append(jobs, job)
	}
	sort.Strings(jobs)
	for _, job := range jobs {
		key := "schedule.jobs." + job
		if !oneOf(job, JobCollect, JobBounces, JobIssue, JobWeekly) {
			bad(key, "unknown job %q; the jobs are %s, %s, %s and %s", job, JobCollect, JobBounces, JobIssue, JobWeekly)
			continue
		}
		if c.Schedule.Jobs[job] == "" {
			continue // not scheduled: runs only with bulletin run
		}
		if _, err := schedule.Parse(c.Schedule.Jobs[job], loc); err != nil {
			bad(key, "%v", err)
		}
	}

	if d := c.Templates.Dir; d != "" {
		if fi, err := os.Stat(c.Resolve(d)); err != nil {
			bad("templates.dir", "%q: %v", d, errors.Unwrap(err))
		} else if !fi.IsDir() {
			bad("templates.dir", "%q is not a folder", d)
		}
	}

	if !oneOf(c.Log.Level, "debug", "info", "warn", "error") {
		bad("log.level", "is %q; want debug, info, warn or error", c.Log.Level)
	}
	if !oneOf(c.Log.Format, "auto", "text", "json") {
		bad("log.format", "is %q; want auto, text or json", c.Log.Format)
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
	return errs
}

// validateBounces checks newsletter.bounces.
func (c *Config) validateBounces(bad func(key, format string, args ...any)) {
	const k = "newsletter.bounces."
	b := c.Newsletter.Bounces
	if b.Domain != "" {
		if _, err := newsletter.ParseAddress("bounces@" + b.Domain); err != nil || strings.ContainsAny(b.Domain, " <>@\r\n") {
			bad(k+"domain", "%q is not a domain name", b.Domain)
		}
	}
	if b.SoftLimit < 1 {
		bad(k+"soft_limit", "must be at least 1")
	}
	if m := b.Mailbox; m.Host != "" {
		if m.Port < 1 || m.Port > 65535 {
			bad(k+"mailbox.port", "%d is not a port number", m.Port)
		}
		if !oneOf(m.TLS, "implicit", "starttls", "none") {
			bad(k+"mailbox.tls", "is %q; want implicit, starttls or none", m.TLS)
		}
		if m.Username == "" {
			bad(k+"mailbox.username", "the mailbox needs a user name")
		}
		for _, f := range []struct{ key, name string }{{"folder", m.Folder}, {"processed_folder", m.ProcessedFolder}, {"unhandled_folder", m.UnhandledFolder}} {
			if strings.TrimSpace(f.name) == "" {
				bad(k+"mailbox."+f.key, "must not be empty")
			}
		}
		if m.ProcessedFolder == m.Folder || m.UnhandledFolder == m.Folder || m.ProcessedFolder == m.UnhandledFolder {
			bad(k+"mailbox", "folder, processed_folder and unhandled_folder must be three folders")
		}
		if m.MaxMessages < 1 {
			bad(k+"mailbox.max_messages", "must be at least 1")
		}
	}
	w := b.Webhooks
	for i, arn := range w.SES.TopicARNs {
		if !strings.HasPrefix(arn, "arn:aws") || strings.Count(arn, ":") != 5 {
			bad(fmt.Sprintf(k+"webhooks.ses.topic_arns[%d]", i), "%q is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)", arn)
		}
	}
	if p := w.Postmark; (p.Username == "") != (p.Password == "") {
		bad(k+"webhooks.postmark", "username and password go together")
	}
	if key := w.SendGrid.PublicKey; key != "" {
		if err := server.CheckSendGridKey(key); err != nil {
			bad(k+"webhooks.sendgrid.public_key", "%v", err)
		}
	}
	if w.MaxAge <= 0 {
		bad(k+"webhooks.max_age", "must be a positive duration, like 5m")
	}
}

// maxRetries bounds retry counts: with backoff doubling each time, ten
// retries already wait about half an hour, and past some sixty the wait
// no longer fits in a time.Duration.
const maxRetries = 10

func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// checkDatabaseURL accepts what DatabaseURL can open. Its messages show a
// URL without its password.
func checkDatabaseURL(raw string) error {
	if path, ok := strings.CutPrefix(raw, "sqlite:"); ok {
		if path == "" {
			return errors.New("sqlite: needs a file path, like sqlite:data/bulletin.db")
		}
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		shown := "the value"
		if err == nil {
			shown = fmt.Sprintf("%q", store.RedactURL(u))
		}
		return fmt.Errorf("%s is neither sqlite:PATH nor a postgres:// URL", shown)
	}
	return nil
}

// checkURL accepts only absolute http(s) URLs: every URL in the config is
// fetched, linked to or announced as it is.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	return nil
}

// checkOrigin checks an origin as browsers send it: scheme, host and port,
// nothing else.
func checkOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || o == "*" {
		return fmt.Errorf("%q is not an origin, like https://example.org", o)
	}
	if strings.HasSuffix(o, "/") {
		return fmt.Errorf("%q: an origin has no path; write it without the trailing slash", o)
	}
	return nil
}
