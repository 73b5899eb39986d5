package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/bulletin-app/bulletin/feed"
	"github.com/bulletin-app/bulletin/internal/testtool"
	"github.com/bulletin-app/bulletin/store"
)

// reportViolations runs in every page before its own content, put there by
// the browser's DevTools (which a page's policy does not govern): each
// violation of the policy is also written to the console.
const reportViolations = `document.addEventListener("securitypolicyviolation", e =>
  console.error("securitypolicyviolation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at line " + e.lineNumber));`

// browser is a headless Chromium driven over DevTools, which keeps every
// console message, browser log entry and uncaught exception of every page
// it shows.
type browser struct {
	ctx context.Context
	mu  sync.Mutex
	msg []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	chromium := testtool.Need(t, "chromium")[0]
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.Env("HOME="+t.TempDir()))
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	b := &browser{ctx: ctx}
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.msg = append(b.msg, fmt.Sprintf("console %s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1))
			b.mu.Unlock()
		}
	}()
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc(); <-done })
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: reportViolations}); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return b
}

// messages returns what the pages said since the last call.
func (b *browser) messages() []string {
	// Messages arrive on their own; give the last ones a moment.
	time.Sleep(300 * time.Millisecond)
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.msg
	b.msg = nil
	return m
}

func (b *browser) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		t.Fatalf("chromium, %s: %v", what, err)
	}
}

func browserValue[T any](t *testing.T, b *browser, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		t.Fatalf("chromium, %s: %v", what, err)
	}
	return v
}

// TestPagesKeepToTheirPolicyInChromium shows every page bulletin serves,
// the archive and each step of subscribing and unsubscribing, in headless
// Chromium behind Secure, and fails on any console message: a violation of
// the Content-Security-Policy (an inline style it does not allow, a form
// it does not let post) is one. A page that breaks the policy on purpose
// shows that violations are seen.
func TestPagesKeepToTheirPolicyInChromium(t *testing.T) {
	e := newSubscribeEnv(t)
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)

	b, err := os.ReadFile("../feed/testdata/issues.json")
	if err != nil {
		t.Fatal(err)
	}
	var issues []store.Issue
	if err := json.Unmarshal(b, &issues); err != nil {
		t.Fatal(err)
	}
	set, err := feed.Build(feed.Site{Title: "Policy Test", URL: srv.URL + "/", Language: "en",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, issues)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	MountArchive(mux, feed.NewHandler(set))
	e.subs.Routes(mux)
	mux.HandleFunc("GET /breaks-the-policy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!DOCTYPE html><html lang="en"><head><title>x</title><style>p{}</style></head>`+
			`<body><p style="color:red">styled</p><script>document.title="ran"</script></body></html>`)
	})
	handler = Secure(mux, SecurityOptions{})

	br := newBrowser(t)
	check := func(what string, wantText string) {
		t.Helper()
		text := browserValue(t, br, what, chromedp.Text(chromedp.CSS("body")))
		if !strings.Contains(text, wantText) {
			t.Errorf("%s: the page does not say %q:\n%s", what, wantText, text)
		}
		for _, m := range br.messages() {
			t.Errorf("%s: %s", what, m)
		}
	}

	// The control: a page that breaks the policy three ways is caught.
	br.do(t, "the control page", chromedp.Navigate(srv.URL+"/breaks-the-policy"), chromedp.WaitReady(chromedp.CSS("body")))
	title := browserValue(t, br, "the control page", chromedp.Title())
	msgs := br.messages()
	if title == "ran" || len(msgs) < 2 || !strings.Contains(strings.Join(msgs, "\n"), "securitypolicyviolation") {
		t.Fatalf("a page breaking the policy: title %q, messages %q; want its script blocked and the violations seen", title, msgs)
	}

	for _, p := range []struct{ path, text string }{
		{"/", "Policy Test"}, {"/issues/3/", "hostile input"}, {"/issues/2/", "Go 1.26 is released"},
	} {
		br.do(t, p.path, chromedp.Navigate(srv.URL+p.path), chromedp.WaitReady(chromedp.CSS("footer")))
		check(p.path, p.text)
		// The style sheet applied: the footer is set apart by a rule.
		border := browserValue(t, br, p.path, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("footer")).borderTopStyle`))
		if border != "solid" {
			t.Errorf("%s: the page's style was not applied (footer border %q)", p.path, border)
		}
	}

	// Subscribing, as a visitor does: the form posts, the status page
	// shows.
	submit := chromedp.CSS("button[type=submit]")
	br.do(t, "the sign-up form", chromedp.Navigate(srv.URL+"/subscribe"), chromedp.WaitVisible(chromedp.ID("email")))
	check("/subscribe", "Subscribe to Bulletin")
	br.do(t, "signing up",
		chromedp.SendKeys(chromedp.ID("email"), "eve@example.org"),
		chromedp.SendKeys(chromedp.ID("name"), "Eve"),
		chromedp.Click(submit),
		chromedp.WaitVisible(chromedp.Search("//h1[contains(., 'Check your inbox')]")))
	check("POST /subscribe", "confirmation link is on its way")
	e.drain(t)
	msgs2 := e.smtp.Messages()
	if len(msgs2) != 1 {
		t.Fatalf("%d messages after signing up in the browser", len(msgs2))
	}
	link := confirmLink.FindStringSubmatch(textPart(t, msgs2[0].Data))
	if link == nil {
		t.Fatalf("no confirmation link in:\n%s", textPart(t, msgs2[0].Data))
	}
	br.do(t, "the confirmation page", chromedp.Navigate(srv.URL+strings.ReplaceAll(link[1], "&amp;", "&")),
		chromedp.WaitVisible(submit))
	check("GET /confirm", "eve@example.org")
	br.do(t, "confirming", chromedp.Click(submit),
		chromedp.WaitVisible(chromedp.Search("//h1[contains(., 'Subscribed')]")))
	check("POST /confirm", "You are subscribed")

	unsub := "/unsubscribe?token=" + url.QueryEscape(e.nl.UnsubscribeToken("eve@example.org"))
	br.do(t, "the unsubscribe page", chromedp.Navigate(srv.URL+unsub), chromedp.WaitVisible(submit))
	check("GET /unsubscribe", "eve@example.org")
	br.do(t, "unsubscribing", chromedp.Click(submit),
		chromedp.WaitVisible(chromedp.Search("//h1[contains(., 'Unsubscribed')]")))
	check("POST /unsubscribe", "Unsubscribed")
	if sub, _ := e.st.SubscriberByEmail(context.Background(), "eve@example.org"); sub.Status != store.StatusUnsubscribed {
		t.Errorf("after the browser's round: %s, want unsubscribed", sub.Status)
	}
}
