package newsletter

import (
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// TerminalProgress returns a SendRequest.Progress that draws a progress bar
// when out is a terminal, and otherwise logs a line every few seconds.
func TerminalProgress(out *os.File, log *slog.Logger) func(Progress) {
	if log == nil {
		log = slog.Default()
	}
	var mu sync.Mutex
	if term.IsTerminal(int(out.Fd())) {
		var bar *progressbar.ProgressBar
		return func(p Progress) {
			mu.Lock()
			defer mu.Unlock()
			if bar == nil {
				bar = progressbar.NewOptions(p.Total, progressbar.OptionSetWriter(out),
					progressbar.OptionSetDescription("sending"), progressbar.OptionShowCount(),
					progressbar.OptionShowIts(), progressbar.OptionSetItsString("msg"),
					progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
			}
			bar.Set(p.Done)
		}
	}
	var last time.Time
	return func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) < 5*time.Second && p.Done != p.Total {
			return
		}
		last = time.Now()
		log.Info("sending", "done", p.Done, "total", p.Total, "sent", p.Sent, "failed", p.Failed, "skipped", p.Skipped)
	}
}
