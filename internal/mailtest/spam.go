package mailtest

import (
	"bytes"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/internal/testtool"
)

// Spam is SpamAssassin's verdict on a message.
type Spam struct {
	Score  float64
	Rules  []string
	Status string // the X-Spam-Status line
}

var spamScore = regexp.MustCompile(`score=(-?[0-9.]+)`)

// SpamAssassin scores raw with Debian's spamassassin, local rules only
// (spamassassin -t -L), and reads its X-Spam-Status line.
func SpamAssassin(t testing.TB, raw []byte) Spam {
	t.Helper()
	bin := testtool.Need(t, "spamassassin")[0]
	cmd := exec.Command(bin, "-t", "-L")
	cmd.Stdin = bytes.NewReader(raw)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("spamassassin: %v", err)
	}
	m, err := mail.ReadMessage(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("spamassassin's output: %v", err)
	}
	status := strings.Join(strings.Fields(m.Header.Get("X-Spam-Status")), " ")
	sm := spamScore.FindStringSubmatch(status)
	if sm == nil {
		t.Fatalf("no score in X-Spam-Status %q", status)
	}
	s := Spam{Status: status}
	s.Score, _ = strconv.ParseFloat(sm[1], 64)
	if _, tests, ok := strings.Cut(status, "tests="); ok {
		tests, _, _ = strings.Cut(tests, " ")
		for _, r := range strings.Split(tests, ",") {
			if r = strings.TrimSpace(r); r != "" && r != "none" {
				s.Rules = append(s.Rules, r)
			}
		}
	}
	return s
}

// Mailcheck runs the shared mailcheck script on raw (with k's public key
// when it has one) and returns what it printed and whether it passed.
func Mailcheck(t testing.TB, raw []byte, k Key) (string, bool) {
	t.Helper()
	script := findShared("tools/mailcheck")
	if script == "" {
		testtool.Missing(t, "shared/tools/mailcheck not found beside the repository")
	}
	testtool.NeedPython(t, "dkim")
	testtool.Need(t, "spamassassin")
	f := filepath.Join(t.TempDir(), "msg.eml")
	if err := os.WriteFile(f, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{script, f}
	if k.PubFile != "" {
		args = append(args, k.PubFile)
	}
	out, err := exec.Command(testtool.Python, args...).CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("mailcheck: %v", err)
	}
	return string(out), err == nil
}

// findShared looks for shared/rel in the folders above the repository,
// where the team's shared folder sits beside a clone (CI puts it there).
func findShared(rel string) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	for dir := filepath.Dir(file); ; {
		p := filepath.Join(dir, "shared", rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
