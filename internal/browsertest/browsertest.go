// Package browsertest drives a real browser, Debian's headless Chromium,
// for the tests of pages and emails and for the screenshots in docs/: it
// keeps what pages say on the console (a Content-Security-Policy
// violation among it), runs axe-core's accessibility checks in a page, in
// the light and the dark theme, and takes screenshots at a width.
package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// reportViolations runs in every page before its own content, put there by
// the browser's DevTools (which a page's policy does not govern): each
// violation of the policy is also written to the console.
const reportViolations = `document.addEventListener("securitypolicyviolation", e =>
  console.error("securitypolicyviolation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at line " + e.lineNumber));`

// Browser is a headless Chromium driven over DevTools, which keeps every
// console message of every page it shows.
type Browser struct {
	Ctx    context.Context
	cancel func()
	mu     sync.Mutex
	msg    []string
	done   chan struct{}
}

// Chromium returns the path of chromium, or "" when it is not installed.
func Chromium() string {
	p, _ := exec.LookPath("chromium")
	return p
}

// Start starts chromium (its path) with a profile in dir. More options
// (a window size, a language, an environment) come after the defaults.
func Start(chromium, dir string, more ...chromedp.ExecAllocatorOption) (*Browser, error) {
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")), chromedp.Env("HOME=" + dir)}, more...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 5*time.Minute)
	b := &Browser{Ctx: ctx, done: make(chan struct{})}
	b.cancel = func() { cancelTimeout(); cancelCtx(); cancelAlloc(); <-b.done }
	messages := chromedp.Console(ctx)
	go func() {
		defer close(b.done)
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.msg = append(b.msg, fmt.Sprintf("console %s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1))
			b.mu.Unlock()
		}
	}()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: reportViolations}); err != nil {
		b.cancel()
		return nil, fmt.Errorf("chromium: %w", err)
	}
	return b, nil
}

// Close stops the browser.
func (b *Browser) Close() { b.cancel() }

// Messages returns what the pages said since the last call.
func (b *Browser) Messages() []string {
	// Messages arrive on their own; give the last ones a moment.
	time.Sleep(300 * time.Millisecond)
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.msg
	b.msg = nil
	return m
}

// Drain returns what the pages said since the last call, at once.
func (b *Browser) Drain() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.msg
	b.msg = nil
	return m
}

// Do runs actions in the browser.
func (b *Browser) Do(actions ...chromedp.Action[chromedp.Void]) error {
	return chromedp.Do(b.Ctx, actions...)
}

// Theme emulates a reader whose system asks for dark (or light) pages,
// and a window width wide (the height follows the page).
func (b *Browser) Theme(dark bool, width int) error {
	scheme := "light"
	if dark {
		scheme = "dark"
	}
	if _, err := chromedp.Call(b.Ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
		return err
	}
	return chromedp.Do(b.Ctx, chromedp.EmulateViewport(int64(width), 900))
}

// Overflow is how much wider than the window the page is, in CSS pixels:
// 0 when nothing makes the reader scroll sideways.
func (b *Browser) Overflow() (int, error) {
	return chromedp.Run(b.Ctx, chromedp.Evaluate[int](`Math.max(0, document.documentElement.scrollWidth - window.innerWidth)`))
}

// Screenshot writes the whole page as a PNG file.
func (b *Browser) Screenshot(file string) error {
	buf, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return err
	}
	return os.WriteFile(file, buf, 0o644)
}

// AxeScript finds axe-core's axe.min.js: $BULLETIN_AXE, else under npm's
// global root (npm install -g axe-core), else "".
func AxeScript() string {
	if p := os.Getenv("BULLETIN_AXE"); p != "" {
		return p
	}
	if out, err := exec.Command("npm", "root", "-g").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "axe-core", "axe.min.js")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Violation is one rule axe-core found broken on a page.
type Violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"` // minor, moderate, serious, critical
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
		Failed string `json:"failureSummary"`
	} `json:"nodes"`
}

func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", v.ID, v.Impact, v.Help)
	for _, n := range v.Nodes[:min(3, len(v.Nodes))] {
		fmt.Fprintf(&b, "\n    %v %s: %s", n.Target, n.HTML, strings.ReplaceAll(n.Failed, "\n", " "))
	}
	return b.String()
}

// Axe runs axe-core (the file script) on the page shown, with the rules
// of WCAG 2 A and AA and axe's best practices, and returns what it found.
func (b *Browser) Axe(script string) ([]Violation, error) {
	src, err := os.ReadFile(script)
	if err != nil {
		return nil, err
	}
	// Injected over DevTools, which no page's policy governs.
	if _, err := chromedp.Run(b.Ctx, chromedp.Evaluate[any](string(src))); err != nil {
		return nil, fmt.Errorf("inject axe-core: %w", err)
	}
	out, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`,
		chromedp.EvalAsValue, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("axe.run: %w", err)
	}
	var vs []Violation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		return nil, err
	}
	return vs, nil
}

// Serious keeps the violations of serious or critical impact.
func Serious(vs []Violation) []Violation {
	var out []Violation
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			out = append(out, v)
		}
	}
	return out
}

// ErrNoAxe says axe-core is not installed.
var ErrNoAxe = errors.New("axe-core not found: npm install -g axe-core (or set BULLETIN_AXE to axe.min.js)")
