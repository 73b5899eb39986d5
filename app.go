// Package bulletin is the application: its configuration, and the pipeline
// that wires source → store → digest → feed / newsletter together for the
// command line and the scheduler.
package bulletin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"sync/atomic"
	texttemplate "text/template"
	"time"

	"github.com/bulletin-app/bulletin/digest"
	"github.com/bulletin-app/bulletin/feed"
	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/schedule"
	"github.com/bulletin-app/bulletin/server"
	"github.com/bulletin-app/bulletin/source"
	"github.com/bulletin-app/bulletin/store"
	"github.com/bulletin-app/bulletin/templates"
)

// Version is bulletin's version, set at build time with -ldflags.
var Version = "dev"

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
	client     *http.Client // for the endpoints config names: hub, LLM
	// upstream fetches feeds and their pages: public addresses only, and
	// the networks config allows.
	upstream *http.Client
	live     *feed.Live             // set while serving
	news     *newsletter.Newsletter // built on first use
	// watchSince is when this process began to look after scheduled
	// issues (see missed); nil until it does.
	watchSince atomic.Pointer[time.Time]
	// clock, if set, drives the scheduler instead of the system's timers:
	// tests go through simulated days with it.
	clock schedule.Clock
}

// Open opens the store and builds the parts cfg describes.
func Open(ctx context.Context, cfg *Config, log *slog.Logger) (*App, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for _, d := range cfg.Deprecated {
		log.Warn("config key renamed; the old name works for now", "file", d.File, "line", d.Line, "key", d.Key, "use", d.Use)
	}
	st, err := store.Open(ctx, cfg.DatabaseURL())
	if err != nil {
		return nil, err
	}
	for old, name := range formerJobNames {
		if err := st.RenameJob(ctx, old, name); err != nil {
			st.Close()
			return nil, err
		}
	}
	a := &App{
		Config:    cfg,
		Store:     st,
		Log:       log,
		Templates: templates.Overlay(cfg.Resolve(cfg.Templates.Dir)),
		client:    &http.Client{Timeout: cfg.Fetch.Timeout},
		upstream:  source.NewClient(source.ClientOptions{AllowNetworks: cfg.Fetch.allowedNetworks()}),
	}
	if err := checkTemplates(a.Templates); err != nil {
		st.Close()
		if cfg.Templates.Dir != "" {
			err = fmt.Errorf("templates.dir %s: %w", cfg.Templates.Dir, err)
		}
		return nil, err
	}
	a.summarizer = a.newSummarizer()
	return a, nil
}

// checkTemplates parses every template, so that a broken one stops any
// command at start-up, not the next send or publish.
func checkTemplates(fsys fs.FS) error {
	errs := []error{feed.CheckTemplates(fsys), newsletter.CheckTemplates(fsys), server.CheckTemplates(fsys)}
	// The summarizer's prompt is parsed by digest when it is first used;
	// it is a plain text/template.
	if _, err := texttemplate.ParseFS(fsys, "summarize.tmpl"); err != nil {
		errs = append(errs, fmt.Errorf("digest: %w", err))
	}
	return errors.Join(errs...)
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

func (a *App) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}
