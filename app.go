package bulletin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/bulletin-app/bulletin/digest"
	"github.com/bulletin-app/bulletin/feed"
	"github.com/bulletin-app/bulletin/internal/shutdown"
	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/source"
	"github.com/bulletin-app/bulletin/store"
	"github.com/bulletin-app/bulletin/templates"
)

// Version is bulletin's version, set at build time with -ldflags.
var Version = "dev"

// The scheduled jobs, by the names config.yaml gives them.
const (
	JobCollect = "collect" // read every source
	JobPublish = "publish" // summarize, build the issue, publish, send
)

// ProgressFunc reports long work: stage names what is being done, done of
// total items so far.
type ProgressFunc func(stage string, done, total int)

// App is an opened bulletin: the config, the store, and the parts built from
// them. Its methods are the jobs the CLI and the scheduler run.
type App struct {
	Config    *Config
	Store     *store.Store
	Log       *slog.Logger
	Templates fs.FS
	// Progress, if set, is told about long work.
	Progress ProgressFunc

	// SendProgress, if set, is told how a send goes.
	SendProgress func(newsletter.Progress)
	// Now is the clock of source fetches and status; nil is time.Now.
	Now func() time.Time

	summarizer digest.Summarizer
	client     *http.Client
	feeds      *feed.Handler          // set while serving
	news       *newsletter.Newsletter // built on first use
}

// Open opens the store and builds the parts cfg describes.
func Open(ctx context.Context, cfg *Config, log *slog.Logger) (*App, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st, err := store.Open(ctx, filepath.Join(cfg.Resolve(cfg.DataDir), "bulletin.db"))
	if err != nil {
		return nil, err
	}
	a := &App{
		Config:    cfg,
		Store:     st,
		Log:       log,
		Templates: templates.Overlay(cfg.Resolve(cfg.Templates.Dir)),
		client:    &http.Client{Timeout: cfg.Fetch.Timeout},
	}
	a.summarizer = a.newSummarizer()
	return a, nil
}

// Close releases the store.
func (a *App) Close() error { return a.Store.Close() }

func (a *App) progress(stage string, done, total int) {
	if a.Progress != nil {
		a.Progress(stage, done, total)
	}
}

func (a *App) newSummarizer() digest.Summarizer {
	d := a.Config.Digest
	extractive := digest.NewExtractive(digest.ExtractiveOptions{Words: d.Words, MaxSentences: d.MaxSentences})
	if d.Summarizer != "llm" {
		return extractive
	}
	return newLLMSummarizer(a, extractive)
}

func (a *App) userAgent() string {
	if ua := a.Config.Fetch.UserAgent; ua != "" {
		return ua
	}
	return "bulletin/" + Version + " (+" + a.Config.Site.URL + ")"
}

// CollectReport counts what one collection did.
type CollectReport struct {
	Found, New, Updated, Problems int
	// Failed names the sources that could not be read at all.
	Failed []string
}

func (r CollectReport) String() string {
	return fmt.Sprintf("%d found, %d new, %d updated, %d skipped", r.Found, r.New, r.Updated, r.Problems)
}

// collectConcurrency is how many sources are read at once: upstream
// fetches mostly wait on the network, and one slow feed must not hold up
// the others.
const collectConcurrency = 4

// Collect reads every source and stores what is new or changed. A source that
// fails is reported and the others go on; the error says which failed.
func (a *App) Collect(ctx context.Context) (CollectReport, error) {
	var (
		mu   sync.Mutex
		rep  CollectReport
		errs []error
		done int
		wg   sync.WaitGroup
	)
	total := len(a.Config.Sources)
	a.progress("collect", 0, total)
	sem := make(chan struct{}, collectConcurrency)
	for _, sc := range a.Config.Sources {
		sem <- struct{}{}
		if shutdown.Requested(ctx) {
			<-sem
			break // the sources not read yet wait for the next run
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			counts, err := a.collectSource(ctx, sc)
			mu.Lock()
			defer mu.Unlock()
			rep.Found += counts.Found
			rep.New += counts.New
			rep.Updated += counts.Updated
			rep.Problems += counts.Problems
			if err != nil && ctx.Err() == nil {
				rep.Failed = append(rep.Failed, sc.Name)
				errs = append(errs, err)
			}
			done++
			a.progress("collect", done, total)
		}()
	}
	wg.Wait()
	if shutdown.Requested(ctx) {
		return rep, shutdown.ErrStopped
	}
	sort.Strings(rep.Failed)
	a.Log.Info("collected", "found", rep.Found, "new", rep.New, "updated", rep.Updated,
		"problems", rep.Problems, "failed_sources", len(rep.Failed))
	return rep, errors.Join(errs...)
}

// collectSource reads one source and stores its articles.
func (a *App) collectSource(ctx context.Context, sc SourceConfig) (CollectReport, error) {
	var rep CollectReport
	log := a.Log.With("source", sc.Name)
	var res source.Result
	seeded := false
	if sc.Folder != "" {
		var err error
		res, err = source.Folder{Name: sc.Name, Dir: a.Config.Resolve(sc.Folder), MaxBytes: a.Config.Fetch.MaxBytes}.Collect(ctx)
		if err != nil {
			log.Error("source failed", "err", err)
			return rep, err
		}
	} else {
		var err error
		res, seeded, err = a.fetchFeed(ctx, sc, log)
		if err != nil {
			return rep, err
		}
	}
	for _, p := range res.Problems {
		log.Warn("skipped", "origin", p.Origin, "err", p.Err)
	}
	rep.Problems = len(res.Problems)
	rep.Found = len(res.Articles)
	for _, art := range res.Articles {
		out, err := a.Store.SaveArticle(ctx, art, seeded)
		if err != nil {
			return rep, fmt.Errorf("source %s: store %s: %w", sc.Name, art.Origin, err)
		}
		switch out {
		case store.Inserted:
			rep.New++
		case store.Updated:
			rep.Updated++
		}
	}
	log.Info("source read", "found", rep.Found, "new", rep.New, "updated", rep.Updated,
		"problems", rep.Problems, "seeded", seeded && rep.New > 0)
	return rep, nil
}

// DigestReport counts what one digest run did.
type DigestReport struct {
	Summarized int
	Problems   []digest.Problem
	// Issue is the issue built, zero-numbered when there was nothing new.
	Issue store.Issue
}

// Digest summarizes new and changed articles and puts the new entries into
// the next issue. An issue with no entries is built only when config says so.
func (a *App) Digest(ctx context.Context) (DigestReport, error) {
	var rep DigestReport
	var err error
	rep.Summarized, rep.Problems, err = digest.SummarizeNew(ctx, a.Store, a.summarizer, func(done, total int) {
		a.progress("summarize", done, total)
	})
	for _, p := range rep.Problems {
		a.Log.Warn("not summarized", "article", p.Title, "err", p.Err)
	}
	if err != nil {
		return rep, err
	}
	rep.Issue, err = digest.BuildIssue(ctx, a.Store, digest.IssueOptions{
		Title:      a.issueTitle,
		BuildEmpty: a.Config.Digest.BuildEmptyIssues,
	})
	if errors.Is(err, digest.ErrNothingNew) {
		a.Log.Info("no new entries: no issue built", "summarized", rep.Summarized)
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	a.Log.Info("issue built", "issue", rep.Issue.Number, "entries", len(rep.Issue.Entries), "summarized", rep.Summarized)
	return rep, nil
}

func (a *App) issueTitle(n int) string {
	return fmt.Sprintf("%s #%d, %s", a.Config.Site.Title, n, a.now().UTC().Format("2 January 2006"))
}

func (a *App) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}
