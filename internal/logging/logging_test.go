package logging

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewLoggerFormats(t *testing.T) {
	for _, tc := range []struct {
		format string
		json   bool
	}{
		{"json", true},
		{"text", false},
		{"auto", true}, // a buffer is no terminal
		{"", true},
	} {
		var buf bytes.Buffer
		log := NewLogger(&buf, "info", tc.format)
		log.Info("job done", "job", "publish", "detail", "sent 3, failed 0")
		line := strings.TrimSpace(buf.String())
		var m map[string]any
		isJSON := json.Unmarshal([]byte(line), &m) == nil
		if isJSON != tc.json {
			t.Errorf("format %q wrote %q; want JSON = %v", tc.format, line, tc.json)
		}
		if isJSON && (m["msg"] != "job done" || m["job"] != "publish") {
			t.Errorf("format %q: JSON line %v lacks its fields", tc.format, m)
		}
		if !isJSON && !strings.Contains(line, `detail="sent 3, failed 0"`) {
			t.Errorf("format %q: text line %q lacks its quoted detail", tc.format, line)
		}
	}
}

func TestNewLoggerLevel(t *testing.T) {
	var buf bytes.Buffer
	log := NewLogger(&buf, "warn", "json")
	log.Info("hidden")
	log.Warn("shown")
	if out := buf.String(); strings.Contains(out, "hidden") || !strings.Contains(out, "shown") {
		t.Errorf("level warn wrote %q", out)
	}
	for in, want := range map[string]slog.Level{"debug": slog.LevelDebug, "ERROR": slog.LevelError, "bogus": slog.LevelInfo} {
		if got := ParseLevel(in); got != want {
			t.Errorf("ParseLevel(%q) = %v; want %v", in, got, want)
		}
	}
}

func TestIsTerminalNotForFilesOrDevNull(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	for _, w := range []*os.File{f, null} {
		if IsTerminal(w) {
			t.Errorf("IsTerminal(%s) = true", w.Name())
		}
	}
}
