package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/bulletin-app/bulletin"
	"github.com/bulletin-app/bulletin/internal/logging"
)

// openApp loads the config and opens the app, with a logger on stderr and,
// on a terminal, progress bars for long work.
func openApp(ctx context.Context, e *env) (*bulletin.App, error) {
	cfg, err := bulletin.LoadConfig(e.configPath)
	if err != nil {
		return nil, err
	}
	log := logging.NewLogger(e.stderr, cfg.Log.Level, cfg.Log.Format)
	slog.SetDefault(log)
	app, err := bulletin.Open(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	app.Progress = newProgress(e.stderr, log)
	return app, nil
}

// progressLogEvery spaces the progress lines of long work in a log.
const progressLogEvery = 10 * time.Second

// newProgress draws a bar per stage when w is a terminal, and elsewhere
// logs how far long work got, at most every progressLogEvery.
func newProgress(w io.Writer, log *slog.Logger) bulletin.ProgressFunc {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		last := time.Now() // work done within the interval needs no line
		return func(stage string, done, total int) {
			if now := time.Now(); now.Sub(last) >= progressLogEvery && done < total {
				last = now
				log.Info("progress", "stage", stage, "done", done, "total", total)
			}
		}
	}
	var bar *progressbar.ProgressBar
	var stage string
	return func(s string, done, total int) {
		if total < 2 {
			return // a bar for one item only flickers
		}
		if bar == nil || s != stage {
			stage = s
			bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription(s), progressbar.OptionShowCount(),
				progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100_000_000))
		}
		bar.Set(done)
		if done >= total {
			bar.Finish()
			bar = nil
		}
	}
}
