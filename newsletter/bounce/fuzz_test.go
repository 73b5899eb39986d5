package bounce

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseMessage: whatever arrives in the bounce mailbox, the parser
// returns (never panics, never loops), and what it returns is bounded and
// of a known kind.
func FuzzParseMessage(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("Content-Type: multipart/report; boundary=x\n\n--x\nContent-Type: multipart/mixed; boundary=x\n\n--x--\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := ParseMessage(raw)
		if err != nil {
			return
		}
		switch ev.Kind {
		case None, Soft, Hard, Complaint:
		default:
			t.Fatalf("kind %q", ev.Kind)
		}
		if len(ev.Diagnostic) > maxDiagnostic+len("…") || len(ev.Recipient) > 254 || len(ev.MessageID) > 250 {
			t.Fatalf("unbounded event: %d, %d, %d bytes", len(ev.Diagnostic), len(ev.Recipient), len(ev.MessageID))
		}
		if utf8.ValidString(string(raw)) && !utf8.ValidString(ev.Diagnostic) {
			t.Fatalf("diagnostic cut inside a character: %q", ev.Diagnostic)
		}
		for _, rp := range ev.ReturnPaths {
			if rp != strings.ToLower(rp) || len(rp) > 40 {
				t.Fatalf("return path %q", rp)
			}
		}
		if len(ev.ReturnPaths) > 64 {
			t.Fatalf("%d return paths", len(ev.ReturnPaths))
		}
	})
}
