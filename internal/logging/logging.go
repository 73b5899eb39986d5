// Package logging makes bulletin's slog loggers: text for a person at a
// terminal, JSON lines for a log collector otherwise.
package logging

import (
	"io"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/term"
)

// NewLogger returns a logger writing to w at level (debug, info, warn or
// error; anything else is info). format is text, json, or auto: text when w
// is a terminal, JSON otherwise.
func NewLogger(w io.Writer, level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: ParseLevel(level)}
	if strings.EqualFold(format, "text") || (!strings.EqualFold(format, "json") && IsTerminal(w)) {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// ParseLevel reads a level name; unknown names are info, since the config
// has been validated before a logger is made.
func ParseLevel(s string) slog.Level {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// IsTerminal tells whether w is a terminal. A character device is not
// enough: /dev/null is one too.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
