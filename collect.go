package bulletin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bulletin-app/bulletin/internal/shutdown"
	"github.com/bulletin-app/bulletin/source"
	"github.com/bulletin-app/bulletin/store"
)

// CollectReport counts what one collection did.
type CollectReport struct {
	Found, New, Updated, Problems int
	// Failed names the sources that could not be read at all.
	Failed []string
	// Paused names the sources an editor paused, which were not read.
	Paused []string
}

func (r CollectReport) String() string {
	out := fmt.Sprintf("%d found, %d new, %d updated, %d skipped", r.Found, r.New, r.Updated, r.Problems)
	if len(r.Paused) > 0 {
		out += fmt.Sprintf("; %s paused: %s", plural(len(r.Paused), "source", "sources"), strings.Join(r.Paused, ", "))
	}
	return out
}

// collectConcurrency is how many sources are read at once: upstream
// fetches mostly wait on the network, and one slow feed must not hold up
// the others.
const collectConcurrency = 4

// Collect reads every source and stores what is new or changed. A source that
// fails is reported and the others go on; the error says which failed. A
// source an editor paused is not read (PauseSource).
//
// Reading stops when fetch.collect_timeout has passed: what was read is
// stored, and the sources not read by then count as failed.
func (a *App) Collect(ctx context.Context) (CollectReport, error) {
	var (
		mu   sync.Mutex
		rep  CollectReport
		errs []error
		done int
		wg   sync.WaitGroup
	)
	paused, err := a.Store.PausedSources(ctx)
	if err != nil {
		return rep, err
	}
	var sources []SourceConfig
	for _, sc := range a.Config.Sources {
		if _, ok := paused[sc.Name]; ok {
			rep.Paused = append(rep.Paused, sc.Name)
			a.Log.Info("source paused: not read", "source", sc.Name)
			continue
		}
		sources = append(sources, sc)
	}
	total := len(sources)
	a.progress("collect", 0, total)
	limit := a.Config.Fetch.CollectTimeout
	readCtx, cancel := context.WithTimeoutCause(ctx, limit,
		fmt.Errorf("the collect's time (fetch.collect_timeout, %v) ran out", limit))
	defer cancel()
	sem := make(chan struct{}, collectConcurrency)
	for i, sc := range sources {
		sem <- struct{}{}
		if shutdown.Requested(ctx) {
			<-sem
			break // the sources not read yet wait for the next run
		}
		if readCtx.Err() != nil {
			<-sem
			var names []string
			for _, sc := range sources[i:] {
				names = append(names, sc.Name)
			}
			err := fmt.Errorf("not read: %s: %w", strings.Join(names, ", "), context.Cause(readCtx))
			a.Log.Error("collect stopped", "err", err)
			mu.Lock()
			rep.Failed = append(rep.Failed, names...)
			errs = append(errs, err)
			mu.Unlock()
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			counts, err := a.collectSource(ctx, readCtx, sc, false)
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
		"problems", rep.Problems, "failed_sources", len(rep.Failed), "paused_sources", len(rep.Paused))
	return rep, errors.Join(errs...)
}

// CollectSource reads the named source now, as Collect does, whether or
// not it is paused: the desk's "fetch now". It holds the collect job's
// lease meanwhile, so that it does not read the source at the same time
// as a collect does (the error wraps store.ErrLocked then).
func (a *App) CollectSource(ctx context.Context, name string) (CollectReport, error) {
	var sc *SourceConfig
	for i := range a.Config.Sources {
		if a.Config.Sources[i].Name == name {
			sc = &a.Config.Sources[i]
		}
	}
	if sc == nil {
		return CollectReport{}, &InputError{"source", fmt.Sprintf("config.yaml names no source %q", name)}
	}
	holder := fmt.Sprintf("fetch-now:%s:%d", hostName(), os.Getpid())
	if _, err := a.Store.TakeLock(ctx, JobCollect, holder, a.Config.Fetch.CollectTimeout+time.Minute); err != nil {
		return CollectReport{}, fmt.Errorf("a collect is under way; try again when it is done: %w", err)
	}
	defer a.Store.Unlock(context.WithoutCancel(ctx), JobCollect, holder)
	readCtx, cancel := context.WithTimeoutCause(ctx, a.Config.Fetch.CollectTimeout,
		fmt.Errorf("the collect's time (fetch.collect_timeout, %v) ran out", a.Config.Fetch.CollectTimeout))
	defer cancel()
	rep, err := a.collectSource(ctx, readCtx, *sc, true)
	if err != nil {
		rep.Failed = []string{name}
	}
	return rep, err
}

func hostName() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}

// collectSource reads one source with readCtx and stores its articles with
// ctx, so that what was read before readCtx ended is kept. now reads a feed
// that is backing off after failures all the same.
func (a *App) collectSource(ctx, readCtx context.Context, sc SourceConfig, now bool) (CollectReport, error) {
	var rep CollectReport
	log := a.Log.With("source", sc.Name)
	var res source.Result
	seeded := false
	if sc.Folder != "" {
		// The files read before are read again only if their size or time
		// changed, and parsed again only if their bytes did.
		seen, err := a.Store.FileStamps(ctx, sc.Name)
		if err != nil {
			return rep, err
		}
		res, err = source.Folder{Name: sc.Name, Dir: a.Config.Resolve(sc.Folder), MaxBytes: a.Config.Fetch.MaxBytes,
			Seen: seen, Now: a.now}.Collect(readCtx)
		if err != nil {
			log.Error("source failed", "err", err)
			return rep, err
		}
	} else {
		var err error
		res, seeded, err = a.fetchFeed(ctx, readCtx, sc, log, now)
		if err != nil {
			return rep, err
		}
	}
	for _, p := range res.Problems {
		log.Warn("skipped", "origin", p.Origin, "err", p.Err)
	}
	rep.Problems = len(res.Problems)
	rep.Found = len(res.Articles) + res.Unchanged
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
	// Recorded once their articles are: a file whose article could not be
	// stored is read again next time.
	if err := a.Store.SaveFileStamps(ctx, sc.Name, res.Files); err != nil {
		return rep, err
	}
	log.Info("source read", "found", rep.Found, "new", rep.New, "updated", rep.Updated,
		"problems", rep.Problems, "seeded", seeded && rep.New > 0)
	return rep, nil
}

func (a *App) fetchFeed(ctx, readCtx context.Context, sc SourceConfig, log *slog.Logger, now bool) (source.Result, bool, error) {
	f := a.Config.Fetch
	src := source.UpstreamFeed{
		Name: sc.Name, URL: sc.Feed, FullText: sc.FullText, Client: a.upstream,
		UserAgent: a.userAgent(), MaxBytes: f.MaxBytes, Timeout: f.Timeout, ReportAfter: f.ReportAfter,
		MaxItems: f.MaxItems, MaxPages: f.MaxPages,
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
	if now {
		st.NextAttempt = time.Time{}
	}
	// A source that never worked before holds what it held before bulletin
	// knew it: keep that without mailing it, when config says so.
	seed := f.SeedNewSources && st.LastSuccess.IsZero()
	res, next, fetchErr := src.Fetch(readCtx, st)
	if errors.Is(fetchErr, source.ErrBackoff) {
		log.Debug("source backing off", "until", st.NextAttempt)
		return res, false, nil
	}
	if fetchErr != nil && readCtx.Err() != nil {
		// Cut short by the collect's time or a stop, not the source's fault.
		log.Error("source not read", "err", fetchErr)
		return res, false, fetchErr
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
