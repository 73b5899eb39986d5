package bulletin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/bulletin-app/bulletin/feed"
	"github.com/bulletin-app/bulletin/internal/shutdown"
	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/source"
	"github.com/bulletin-app/bulletin/store"
)

func (a *App) fetchFeed(ctx context.Context, sc SourceConfig, log *slog.Logger) (source.Result, bool, error) {
	f := a.Config.Fetch
	src := source.Feed{
		Name: sc.Name, URL: sc.Feed, FullText: sc.FullText,
		UserAgent: a.userAgent(), MaxBytes: f.MaxBytes, Timeout: f.Timeout, ReportAfter: f.ReportAfter,
		Logger: log,
		Now:    a.now,
		Known: func(key string) bool {
			known, err := a.Store.KnownArticle(ctx, key)
			return err == nil && known
		},
	}
	st, err := a.Store.SourceState(ctx, sc.Name)
	if err != nil {
		return source.Result{}, false, err
	}
	// A source that never worked before holds what it held before bulletin
	// knew it: keep that without mailing it, when config says so.
	seed := f.SeedNewSources && st.LastSuccess.IsZero()
	res, next, fetchErr := src.Fetch(ctx, st)
	if errors.Is(fetchErr, source.ErrBackoff) {
		log.Debug("source backing off", "until", st.NextAttempt)
		return res, false, nil
	}
	if err := a.Store.SaveSourceState(ctx, sc.Name, next); err != nil {
		return res, false, err
	}
	if fetchErr != nil {
		// A passing failure is not worth a warning; one that persists is.
		if !next.FailingSince.IsZero() {
			log.Error("source failing", "since", next.FailingSince, "failures", next.Failures, "err", fetchErr)
			return res, false, fetchErr
		}
		log.Info("fetch failed, will retry", "failures", next.Failures, "next_attempt", next.NextAttempt, "err", fetchErr)
		return res, false, nil
	}
	return res, seed, nil
}

func (a *App) feedSite() feed.Site {
	s := a.Config.Site
	return feed.Site{
		Title: s.Title, Description: s.Description, URL: s.URL, Language: s.Language,
		Author: feed.Person{Name: s.Author}, Icon: s.Icon, Logo: s.Logo,
		Items: a.Config.Feeds.Items, Hub: a.Config.Feeds.Hub,
		Templates: a.Templates, Log: a.Log,
	}
}

// BuildFeeds renders every feed and archive page from the store.
func (a *App) BuildFeeds(ctx context.Context) (*feed.Set, error) {
	issues, err := a.Store.Issues(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	return feed.Build(a.feedSite(), issues)
}

// Publish writes the feeds and archive pages to dir (public_dir when empty)
// and returns the folder written. A running server starts serving them, and
// a configured WebSub hub is told.
func (a *App) Publish(ctx context.Context, dir string) (string, error) {
	if dir == "" {
		dir = a.Config.Resolve(a.Config.PublicDir)
	}
	set, err := a.BuildFeeds(ctx)
	if err != nil {
		return dir, err
	}
	if err := set.WriteDir(dir); err != nil {
		return dir, fmt.Errorf("publish: %w", err)
	}
	if a.feeds != nil {
		a.feeds.Update(set)
	}
	if hub := set.Hub(); hub != "" {
		if err := feed.PingHub(ctx, a.client, hub, set.Topics()...); err != nil {
			a.Log.Warn("WebSub hub not told", "hub", hub, "err", err)
		}
	}
	a.Log.Info("published", "dir", dir, "documents", len(set.Paths()))
	return dir, nil
}

// Newsletter returns the newsletter part, built on first use.
func (a *App) Newsletter() (*newsletter.Newsletter, error) {
	if a.news != nil {
		return a.news, nil
	}
	n := a.Config.Newsletter
	secret, err := a.secret()
	if err != nil {
		return nil, err
	}
	a.news, err = newsletter.New(a.Store, newsletter.Options{
		SiteTitle:             a.Config.Site.Title,
		From:                  n.From,
		ReplyTo:               n.ReplyTo,
		SiteURL:               a.Config.Site.URL,
		IssuePath:             "/issues/%d/",
		ListUnsubscribeMailto: n.UnsubscribeMailto,
		MessageIDDomain:       n.MessageIDDomain,
		SMTP: newsletter.SMTP{
			Host: n.SMTP.Host, Port: n.SMTP.Port, Username: n.SMTP.Username,
			Password: n.SMTP.Password, TLS: n.SMTP.TLS,
		},
		OutboxDir:   a.Config.Resolve(n.OutboxDir),
		Concurrency: n.Concurrency,
		Rate:        n.Rate,
		Retries:     retriesOption(n.Retries),
		PauseAfter:  n.PauseAfter,
		DKIM: newsletter.DKIM{
			KeyFile: a.Config.Resolve(n.DKIM.KeyFile), Selector: n.DKIM.Selector, Domain: n.DKIM.Domain,
		},
		Secret:    secret,
		Templates: a.Templates,
		Logger:    a.Log,
	})
	return a.news, err
}

// retriesOption maps config's "0 retries" to the newsletter's "never".
func retriesOption(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// secret is the key that signs subscription links: from config, else made
// once and kept in the data folder, so links keep working across restarts.
func (a *App) secret() ([]byte, error) {
	if s := a.Config.Newsletter.Secret; s != "" {
		return []byte(s), nil
	}
	path := filepath.Join(a.Config.Resolve(a.Config.DataDir), "secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	buf := make([]byte, 32)
	rand.Read(buf)
	key := hex.EncodeToString(buf)
	// O_EXCL: two processes starting at once must not each write a key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		b, err := os.ReadFile(path)
		return []byte(strings.TrimSpace(string(b))), err
	}
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(key + "\n"); err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	return []byte(key), nil
}

// AddConfiguredSubscribers adds config's subscribers that the store does not
// know yet, as confirmed: the operator vouches for them. Known addresses keep
// their state, so an unsubscribe is never undone.
func (a *App) AddConfiguredSubscribers(ctx context.Context) error {
	for _, s := range a.Config.Subscribers {
		addr, err := newsletter.ParseAddress(s)
		if err != nil {
			return err
		}
		_, err = newsletter.AddSubscriber(ctx, a.Store, addr.Address, addr.Name, true)
		if err != nil && !errors.Is(err, newsletter.ErrExists) {
			return err
		}
	}
	return nil
}

// Send delivers an issue as req says.
func (a *App) Send(ctx context.Context, req newsletter.SendRequest) (newsletter.Summary, error) {
	n, err := a.Newsletter()
	if err != nil {
		return newsletter.Summary{}, err
	}
	if err := a.AddConfiguredSubscribers(ctx); err != nil {
		return newsletter.Summary{}, err
	}
	if req.Progress == nil && a.SendProgress != nil {
		req.Progress = a.SendProgress
	}
	return n.Send(ctx, req)
}

// RunReport tells what one run did.
type RunReport struct {
	Collect CollectReport
	DigestReport
	// Sent is the send of the issue, when there was one to send.
	Sent *newsletter.Summary
}

func (r RunReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "collected: %s\n", r.Collect)
	fmt.Fprintf(&b, "summarized: %d", r.Summarized)
	if len(r.Problems) > 0 {
		fmt.Fprintf(&b, " (%d could not be)", len(r.Problems))
	}
	b.WriteString("\n")
	if r.Issue.Number > 0 {
		fmt.Fprintf(&b, "issue: #%d with %d entries\n", r.Issue.Number, len(r.Issue.Entries))
	} else {
		b.WriteString("issue: none (nothing new)\n")
	}
	if r.Sent != nil {
		fmt.Fprintf(&b, "sent: %s", r.Sent)
	} else {
		b.WriteString("sent: nothing")
	}
	return b.String()
}

// PublishAndSend summarizes what is new, builds the next issue, publishes the
// feeds and pages, and emails the issue. A send cut short earlier is
// finished; an issue already sent is not sent again.
func (a *App) PublishAndSend(ctx context.Context) (RunReport, error) {
	var rep RunReport
	var err error
	rep.DigestReport, err = a.Digest(ctx)
	if err != nil {
		return rep, err
	}
	// A new issue, a re-summarized article of an old one, or a public
	// folder someone emptied: the feeds and pages need writing.
	public := a.Config.Resolve(a.Config.PublicDir)
	if _, statErr := os.Stat(filepath.Join(public, "feed.atom")); rep.Issue.Number > 0 || rep.Summarized > 0 || statErr != nil {
		if _, err := a.Publish(ctx, ""); err != nil {
			return rep, err
		}
	}
	if shutdown.Requested(ctx) {
		// A send not started is taken up by the next run (unfinishedSend).
		return rep, shutdown.ErrStopped
	}
	number := rep.Issue.Number
	if number == 0 {
		number, err = a.unfinishedSend(ctx)
		if err != nil || number == 0 {
			return rep, err
		}
		a.Log.Info("finishing an earlier send", "issue", number)
	}
	sum, err := a.Send(ctx, newsletter.SendRequest{Issue: number})
	rep.Sent = &sum
	return rep, err
}

// unfinishedSend returns the latest issue if its send was cut short or never
// started, else 0.
func (a *App) unfinishedSend(ctx context.Context) (int, error) {
	latest, err := a.Store.LatestIssue(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	counts, err := a.Store.DeliveryCounts(ctx, latest.Number)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	// Rows still pending: a send was cut short. No rows at all: the process
	// stopped between building the issue and planning its send.
	if counts[store.DeliveryPending] > 0 || total == 0 {
		return latest.Number, nil
	}
	return 0, nil
}

// Preview writes issue's email (0: the latest) to htmlPath, and its text part
// beside it with the extension .txt, and returns the files written.
func (a *App) Preview(ctx context.Context, issue int, htmlPath string) ([]string, error) {
	n, err := a.Newsletter()
	if err != nil {
		return nil, err
	}
	_, htmlBody, textBody, err := n.Preview(ctx, issue)
	if err != nil {
		return nil, err
	}
	textPath := strings.TrimSuffix(htmlPath, filepath.Ext(htmlPath)) + ".txt"
	if err := os.WriteFile(htmlPath, []byte(htmlBody), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(textPath, []byte(textBody), 0o644); err != nil {
		return []string{htmlPath}, err
	}
	return []string{htmlPath, textPath}, nil
}
