// Package testtool lets tests depend on real programs (chromium, newsboat,
// xmllint, Debian's Python modules) without making the suite fail on a
// machine that lacks them: run by hand, such a test skips with a message;
// under BULLETIN_E2E=1 (as in CI, where .ci/run installs them) it fails.
package testtool

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Python is Debian's interpreter, which sees the python3-* packages; the
// python3 first on PATH may be another one that does not.
const Python = "/usr/bin/python3"

// Strict reports whether missing tools must fail tests.
func Strict() bool { return os.Getenv("BULLETIN_E2E") == "1" }

// Need returns the paths of the named programs, looked up on PATH (or
// taken as is when a name contains a slash), and stops the test when one
// is missing.
func Need(t testing.TB, names ...string) []string {
	t.Helper()
	paths := make([]string, len(names))
	var missing []string
	for i, name := range names {
		p, err := exec.LookPath(name)
		if err != nil {
			missing = append(missing, name)
			continue
		}
		paths[i] = p
	}
	if len(missing) > 0 {
		Missing(t, "not installed: "+strings.Join(missing, ", "))
	}
	return paths
}

// NeedPython checks that Debian's python3 can import every module (for
// example "feedparser") and returns the interpreter's path.
func NeedPython(t testing.TB, modules ...string) string {
	t.Helper()
	Need(t, Python)
	var missing []string
	for _, m := range modules {
		if out, err := exec.Command(Python, "-c", "import "+m).CombinedOutput(); err != nil {
			missing = append(missing, m+" ("+strings.TrimSpace(lastLine(string(out)))+")")
		}
	}
	if len(missing) > 0 {
		Missing(t, Python+" cannot import: "+strings.Join(missing, ", "))
	}
	return Python
}

// Missing skips the test with the reason, or fails it under BULLETIN_E2E=1.
func Missing(t testing.TB, reason string) {
	t.Helper()
	if Strict() {
		t.Fatalf("%s (BULLETIN_E2E=1: required)", reason)
	}
	t.Skipf("%s; skipping (set BULLETIN_E2E=1 to make this a failure)", reason)
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// NeedNodeModule returns the path of file (such as "axe-core/axe.min.js")
// in the global npm modules (npm root -g), where .ci/run installs them,
// and stops the test when it is not there.
func NeedNodeModule(t testing.TB, file string) string {
	t.Helper()
	npm := Need(t, "npm")[0]
	out, err := exec.Command(npm, "root", "-g").Output()
	if err != nil {
		Missing(t, "npm root -g: "+err.Error())
	}
	p := filepath.Join(strings.TrimSpace(string(out)), filepath.FromSlash(file))
	if _, err := os.Stat(p); err != nil {
		Missing(t, "npm module not installed (npm install -g): "+file)
	}
	return p
}
