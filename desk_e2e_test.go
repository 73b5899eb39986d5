package bulletin

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/browsertest"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/bulletin-app/bulletin/internal/smtptest"
	"github.com/bulletin-app/bulletin/internal/testtool"
	"github.com/bulletin-app/bulletin/store"
)

// deskClock is the wall clock moved on by a test: it tells the real time
// plus the jumps made so far, and the scheduler waits on it in short naps,
// so that a jump wakes it at once. A send scheduled a minute ahead goes out
// when the test jumps past its minute, not a minute later.
type deskClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *deskClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *deskClock) jump(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

func (c *deskClock) SleepUntil(ctx context.Context, t time.Time) bool {
	for {
		d := 200 * time.Millisecond
		if !t.IsZero() {
			left := t.Sub(c.Now())
			if left <= 0 {
				return true
			}
			d = min(d, left)
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(d):
		}
	}
}

// serveDesk runs bulletin serve on ln until the test ends, and returns
// once it answers.
func serveDesk(t *testing.T, app *App, ln net.Listener) {
	t.Helper()
	serveCtx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.Serve(serveCtx, ServeOptions{Listener: ln, MetricsAddr: "off"}) }()
	t.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	for i := 0; ; i++ {
		res, err := http.Get("http://" + ln.Addr().String() + "/healthz")
		if err == nil {
			res.Body.Close()
			return
		}
		if i > 100 {
			t.Fatalf("serve does not answer: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// deskGet is the body of a GET with cookie c, which must answer 200.
func deskGet(t *testing.T, url string, c *http.Cookie) string {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(c)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s, %v", url, res.Status, err)
	}
	return string(body)
}

// deskBrowser is headless Chromium on the desk: it keeps what the pages
// write to the console (a breach of the Content-Security-Policy is
// reported there), runs axe-core on the pages it is asked to, and saves
// screenshots when BULLETIN_SCREENSHOTS=1.
type deskBrowser struct {
	t    *testing.T
	ctx  context.Context
	base string
	axe  string // axe-core's source
	shot bool

	br *browsertest.Browser
	// Axe is what axe-core found on each page checked: its violations by
	// impact.
	Axe []string
}

// newDeskBrowser starts chromium for the desk (internal/browsertest: every
// breach of a page's policy is written to its console, which check reads).
func newDeskBrowser(t *testing.T, base string) *deskBrowser {
	t.Helper()
	chromium := testtool.Need(t, "chromium")[0]
	axe, err := os.ReadFile(testtool.NeedNodeModule(t, "axe-core/axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	br, err := browsertest.Start(chromium, t.TempDir(), chromedp.WindowSize(1280, 900),
		chromedp.Flag("hide-scrollbars", false),
		chromedp.Flag("lang", "en-GB"), chromedp.Flag("font-render-hinting", "none"), chromedp.Env("TZ=Europe/Berlin"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(br.Close)
	b := &deskBrowser{t: t, br: br, ctx: br.Ctx, base: base, axe: string(axe), shot: os.Getenv("BULLETIN_SCREENSHOTS") == "1"}
	return b
}

func (b *deskBrowser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("chromium, %s: %v", what, err)
	}
}

func value[T any](b *deskBrowser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatalf("chromium, %s: %v", what, err)
	}
	return v
}

// open goes to a page of the desk and waits for its main part.
func (b *deskBrowser) open(path string) { b.t.Helper(); b.openAt(path, "main") }

// openAt goes to a page and waits for wait.
func (b *deskBrowser) openAt(path, wait string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS(wait)))
}

// click clicks sel and waits for the page it leads to, and on it for wait.
func (b *deskBrowser) click(what string, sel string, wait string) {
	b.t.Helper()
	b.navigating(what, chromedp.Click(chromedp.CSS(sel)))
	b.do(what, chromedp.WaitReady(chromedp.CSS(wait)))
}

// navigating runs steps that leave the page, and waits until the next one
// is loaded.
func (b *deskBrowser) navigating(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.do(what, chromedp.Evaluate[chromedp.Void](`window.deskOldPage = true`))
	b.do(what, steps...)
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		done, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.deskOldPage === undefined && document.readyState === "complete"`))
		if err == nil && done {
			return
		}
		if time.Now().After(end) {
			b.t.Fatalf("chromium, %s: no new page (%v)", what, err)
		}
	}
}

// text is the visible text of sel.
func (b *deskBrowser) text(sel string) string {
	b.t.Helper()
	return value(b, "text of "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// check runs axe-core on the page shown, fails on a violation of impact
// serious or critical, fails on anything written to the console, and
// saves a screenshot named name.
func (b *deskBrowser) check(name string) {
	b.t.Helper()
	msgs := b.br.Drain()
	for _, m := range msgs {
		// A page opened on its own (a preview's frame) has the browser
		// ask the site for /favicon.ico, which is not the desk's.
		if strings.Contains(m, "/favicon.ico") {
			continue
		}
		b.t.Errorf("%s: %s", name, m)
	}
	type violation struct {
		ID      string   `json:"id"`
		Impact  string   `json:"impact"`
		Help    string   `json:"help"`
		Targets []string `json:"targets"`
	}
	// The frames of the previews are sandboxed (a document of no origin):
	// axe cannot reach them from the page, and they are checked on their
	// own URLs.
	actx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	res, err := chromedp.Run(actx, chromedp.Evaluate[string](b.axe+`
;axe.run(document, {iframes: false, resultTypes: ["violations"]}).then(r => JSON.stringify({
  passes: r.passes.length,
  violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(" "))}))}))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: axe: %v", name, err)
	}
	var out struct {
		Passes     int         `json:"passes"`
		Violations []violation `json:"violations"`
	}
	if err := json.Unmarshal([]byte(res), &out); err != nil {
		b.t.Fatalf("%s: axe said %q: %v", name, res, err)
	}
	byImpact := map[string]int{}
	for _, v := range out.Violations {
		byImpact[v.Impact]++
		if v.Impact == "serious" || v.Impact == "critical" {
			b.t.Errorf("%s: axe: %s (%s): %s at %q", name, v.ID, v.Impact, v.Help, v.Targets)
		} else {
			b.t.Logf("%s: axe: %s (%s): %s at %q", name, v.ID, v.Impact, v.Help, v.Targets)
		}
	}
	url := value(b, "location", chromedp.Location())
	b.Axe = append(b.Axe, fmt.Sprintf("%-22s %-42s rules passed %2d, violations: critical %d, serious %d, moderate %d, minor %d",
		name, strings.TrimPrefix(url, b.base), out.Passes, byImpact["critical"], byImpact["serious"], byImpact["moderate"], byImpact["minor"]))
	if b.shot {
		// The whole page in a window as tall as it: a capture beyond the
		// window leaves the frames of other processes (the previews') out.
		h := value(b, "the page's height", chromedp.Evaluate[int](`Math.min(document.documentElement.scrollHeight, 6000)`))
		b.do("resize", chromedp.EmulateViewport(1280, int64(h)))
		time.Sleep(500 * time.Millisecond)
		png := value(b, name+": screenshot", chromedp.CaptureScreenshot())
		b.do("resize", chromedp.EmulateViewport(1280, 900))
		if err := os.WriteFile(filepath.Join("docs", "screenshots", "desk-"+name+".png"), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
}

// waitText waits until sel's text holds want, reading it again and again
// without reloading the page.
func (b *deskBrowser) waitText(sel, want string, within time.Duration) string {
	b.t.Helper()
	var got string
	for end := time.Now().Add(within); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		got = b.text(sel)
		if strings.Contains(got, want) {
			return got
		}
	}
	b.t.Fatalf("%s says %q, not %q, after %s", sel, got, want, within)
	return got
}

// seedSubscribers adds subscribers over the last months, some of whom
// left, as a list that grew would have them: the dashboard's chart has a
// history to draw.
func seedSubscribers(t *testing.T, st *store.Store, clk *deskClock, n int) {
	t.Helper()
	ctx := context.Background()
	start := clk.Now().AddDate(0, 0, -88)
	defer st.SetClock(clk.Now)
	for i := range n {
		at := start.Add(time.Duration(i) * 88 * 24 * time.Hour / time.Duration(n))
		st.SetClock(func() time.Time { return at })
		sub, _, err := st.AddSubscriber(ctx, fmt.Sprintf("reader%02d@example.net", i), fmt.Sprintf("Reader %d", i), store.StatusConfirmed)
		if err != nil {
			t.Fatal(err)
		}
		if left := at.Add(20 * 24 * time.Hour); i%7 == 3 && left.Before(clk.Now()) {
			st.SetClock(func() time.Time { return left })
			if _, err := st.SetSubscriberStatus(ctx, sub.ID, store.StatusUnsubscribed); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestDeskAsAPersonUsesIt drives the editor's desk in Chromium, served by
// bulletin serve with review on: an editor signs in, imports and adds
// subscribers (and unsubscribes and forgets two), opens the draft,
// reorders two entries, edits a summary, looks at the preview, sends a
// test copy to herself, and schedules the issue a minute ahead; the
// scheduler's clock is moved past that minute, the live view shows the
// send go without a reload, and the SMTP server gets the issue exactly
// once per confirmed subscriber, with the edits in it. Every page is
// checked with axe-core and for breaches of its policy; then the session
// ends, and its cookie is refused.
func TestDeskAsAPersonUsesIt(t *testing.T) {
	// The tools first, before anything is set up for them.
	testtool.Need(t, "chromium")
	testtool.NeedNodeModule(t, "axe-core/axe.min.js")
	ctx := context.Background()
	srv := smtptest.Start(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	articles := t.TempDir()
	if err := os.CopyFS(articles, os.DirFS("examples/articles")); err != nil {
		t.Fatal(err)
	}
	app, _ := newTestApp(t, articles, fmt.Sprintf(
		"site:\n  title: The Harbour Weekly\n  url: %s/\ndigest:\n  review: true\n"+
			"newsletter:\n  from: The Harbour Weekly <news@example.org>\n  smtp:\n    host: %s\n    port: %d\n    tls: none\n"+
			"schedule:\n  timezone: Europe/Berlin\n  jobs:\n    collect: \"\"\n    issue: \"\"\n", base, srv.Host, srv.Port))
	clk := &deskClock{}
	app.clock, app.Now = clk, clk.Now
	app.Store.SetClock(clk.Now)
	berlin, _ := time.LoadLocation("Europe/Berlin")

	seedSubscribers(t, app.Store, clk, 48)
	rep, err := app.Run(ctx)
	if err != nil || rep.Issue.State != store.IssueDraft {
		t.Fatalf("run: %v, %+v; want a draft", err, rep.Issue)
	}
	draft := rep.Issue
	// As bulletin admin add ann --email ann@example.org does.
	if _, err := app.AddUser(ctx, "cli:test", "ann", "", "ann@example.org", "correct horse battery"); err != nil {
		t.Fatal(err)
	}

	serveDesk(t, app, ln)

	b := newDeskBrowser(t, base)

	// Signing in: the desk sends a visitor to its sign-in page first.
	b.open("/admin/")
	if loc := value(b, "location", chromedp.Location()); !strings.Contains(loc, "/admin/sign-in") {
		t.Fatalf("an unsigned visitor is at %s, not the sign-in page", loc)
	}
	b.check("sign-in")
	b.navigating("signing in", chromedp.SendKeys(chromedp.ID("name"), "ann"), chromedp.SendKeys(chromedp.ID("password"), "correct horse battery"),
		chromedp.Click(chromedp.CSS("form button[type=submit]")))
	b.do("the dashboard", chromedp.WaitReady(chromedp.ID("next-h")))
	if h := b.text("h1"); h != "Dashboard" {
		t.Fatalf("after signing in: %q", h)
	}
	cookies, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/admin/"}})
	if err != nil {
		t.Fatal(err)
	}
	var stolen *http.Cookie
	for _, c := range cookies.Cookies {
		if c.Name == "bulletin_desk" {
			stolen = &http.Cookie{Name: c.Name, Value: c.Value}
			if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Path != "/admin/" {
				t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/admin/", c)
			}
		}
	}
	if stolen == nil {
		t.Fatalf("no session cookie in %+v", cookies.Cookies)
	}

	// Subscribers: a CSV import with two rows refused, one added by hand,
	// one unsubscribed and one forgotten.
	csvFile := filepath.Join(t.TempDir(), "readers.csv")
	if err := os.WriteFile(csvFile, []byte("email,name\ncarol@example.com,Carol\ndave@example.com,Dave\nnot-an-address,Broken\nCAROL@example.com,Carol again\nerin@example.com,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.open("/admin/subscribers/import")
	b.navigating("importing", chromedp.SetUploadFiles(chromedp.ID("file"), []string{csvFile}),
		chromedp.Click(chromedp.CSS("input[name=confirmed]")),
		chromedp.Click(chromedp.CSS("form[enctype] button[type=submit]")))
	b.do("the import's result", chromedp.WaitReady(chromedp.ID("import-result")))
	if got := b.text("#import-result h2"); !strings.Contains(got, "3 added, 0 known already, 2 refused") {
		t.Errorf("import result %q", got)
	}
	refused := b.text("#refused tbody")
	if !strings.Contains(refused, "4") || !strings.Contains(refused, "not-an-address") || !strings.Contains(refused, "5") || !strings.Contains(refused, "repeats line 2") {
		t.Errorf("refused rows, with line and reason:\n%s", refused)
	}
	b.check("import")
	b.open("/admin/subscribers")
	b.navigating("adding a subscriber", chromedp.SendKeys(chromedp.ID("add-email"), "frank@example.com"), chromedp.SendKeys(chromedp.ID("add-name"), "Frank"),
		chromedp.Click(chromedp.CSS("input[name=confirmed]")), chromedp.Click(chromedp.CSS("#add-h ~ form button")))
	b.do("frank's page", chromedp.WaitReady(chromedp.ID("subscriber-status")))
	if st := b.text("#subscriber-status"); st != "confirmed" {
		t.Errorf("frank is %q", st)
	}
	b.open("/admin/subscribers?q=dave")
	b.click("a search's one result", "#subscribers tbody a", "#subscriber-status")
	b.click("unsubscribing dave", "#unsubscribe", "#subscriber-status")
	if st := b.text("#subscriber-status"); st != "unsubscribed" {
		t.Errorf("after unsubscribing, dave is %q", st)
	}
	b.check("subscriber")
	b.open("/admin/subscribers?q=erin")
	b.click("erin", "#subscribers tbody a", "#subscriber-status")
	// The form asks for a confirm() first: accept it.
	b.navigating("forgetting erin", chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
		chromedp.Click(chromedp.CSS("input[name=confirm]")), chromedp.Click(chromedp.ID("forget")))
	b.do("the subscribers", chromedp.WaitReady(chromedp.ID("q")))
	if body := b.text("main"); !strings.Contains(body, "is forgotten") {
		t.Errorf("after forgetting: %s", body)
	}
	b.open("/admin/subscribers?q=%40example.com")
	rows := b.text("#subscribers tbody")
	for _, want := range []string{"carol@example.com", "frank@example.com", "reader@example.com", "dave@example.com"} {
		if !strings.Contains(rows, want) {
			t.Errorf("searching @example.com: no %s in\n%s", want, rows)
		}
	}
	if strings.Contains(rows, "erin") {
		t.Errorf("a forgotten address is listed:\n%s", rows)
	}
	b.open("/admin/subscribers")
	b.check("subscribers")
	// 53 subscribers, 50 a page: the older ones are on a second page, and
	// no one is on both.
	listed := func() []string {
		return value(b, "the listed addresses", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#subscribers tbody tr td:first-child")].map(td => td.textContent.trim())`))
	}
	page1 := listed()
	b.click("the older subscribers", "#older", "#subscribers")
	page2 := listed()
	if len(page1) != 50 || len(page2) == 0 || len(page1)+len(page2) != 53 {
		t.Errorf("the subscribers' pages list %d and %d, want 50 and 3", len(page1), len(page2))
	}
	for _, a := range page2 {
		if slices.Contains(page1, a) {
			t.Errorf("%s is on both pages", a)
		}
	}
	// The export, as the desk's link downloads it with the session: read
	// by encoding/csv, every listed address is in it, and erin is not.
	exported := deskGet(t, base+"/admin/subscribers/export", stolen)
	recs, err := csv.NewReader(strings.NewReader(exported)).ReadAll()
	if err != nil {
		t.Fatalf("the export is no CSV: %v\n%.500s", err, exported)
	}
	var inExport []string
	for _, r := range recs[1:] {
		inExport = append(inExport, r[0])
	}
	for _, a := range append(page1, page2...) {
		if !slices.Contains(inExport, a) {
			t.Errorf("%s is listed but not exported", a)
		}
	}
	if len(recs) != 54 || strings.Contains(exported, "erin@") {
		t.Errorf("the export has %d rows (want a header and 53), erin: %v", len(recs), strings.Contains(exported, "erin@"))
	}

	// The draft: from the dashboard to its editor.
	b.open("/admin/")
	b.check("dashboard")
	b.click("the draft", "#next-h ~ p.big a", "#entries")
	if h := b.text("h1"); !strings.Contains(h, fmt.Sprintf("Issue #%d", draft.Number)) {
		t.Fatalf("the editor of %q", h)
	}
	first, second := draft.Entries[0], draft.Entries[1]
	// Reorder: the first entry down one place.
	b.click("moving the first entry down", fmt.Sprintf("#entry-%d .move-down", first.ID), "#entries")
	order := value(b, "the entries' order", chromedp.Evaluate[[]string](`[...document.querySelectorAll("ol.entries > li")].map(li => li.id)`))
	if len(order) < 2 || order[0] != fmt.Sprintf("entry-%d", second.ID) || order[1] != fmt.Sprintf("entry-%d", first.ID) {
		t.Errorf("after moving, the page shows %q", order)
	}
	// Edit the (now second) entry's summary.
	summary := "The harbour ferry will sail every forty minutes.\nThis summary was written on the desk."
	sel := fmt.Sprintf("#entry-%d", first.ID)
	b.navigating("editing a summary", chromedp.Click(chromedp.CSS(sel+" details summary")),
		chromedp.SetValue(chromedp.ID(fmt.Sprintf("summary-%d", first.ID)), summary),
		chromedp.Click(chromedp.CSS(sel+" .save-entry")))
	b.do("the edited entry", chromedp.WaitReady(chromedp.CSS(sel+" .machine")))
	if got := b.text(sel + " .summary"); !strings.Contains(got, "written on the desk") {
		t.Errorf("the edited entry shows %q", got)
	}
	if got := b.text(sel + " .machine"); !strings.Contains(got, first.Summary[0]) {
		t.Errorf("the machine's summary is not shown beside the edit: %q", got)
	}
	is, err := app.Issue(ctx, draft.Number)
	if err != nil {
		t.Fatal(err)
	}
	if is.Entries[0].ID != second.ID || is.Entries[1].ID != first.ID || !is.Entries[1].SummaryEdited ||
		strings.Join(is.Entries[1].Summary, "\n") != summary {
		t.Fatalf("the store has %d, %d (edited %v: %q)", is.Entries[0].ID, is.Entries[1].ID, is.Entries[1].SummaryEdited, is.Entries[1].Summary)
	}
	b.check("issue")

	// Preview: the text part holds the edit, the frames load under their
	// own policy.
	b.click("the preview", "#preview-link", "#preview-text")
	// Both frames loaded (the parent's resource timing has them).
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		n := value(b, "the frames", chromedp.Evaluate[int](`performance.getEntriesByType("resource").filter(e => e.initiatorType === "iframe" && e.responseEnd > 0).length`))
		if n == 2 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("%d of the preview's 2 frames loaded", n)
		}
	}
	if got := b.text("#preview-text"); !strings.Contains(got, "written on the desk") ||
		strings.Index(got, second.Title) > strings.Index(got, first.Title) {
		t.Errorf("the preview's text part has not the edits:\n%s", got)
	}
	b.check("preview")
	// The frames' documents, on their own: sandboxed by their policy,
	// they run no script, so axe-core is let in for them.
	if _, err := chromedp.Call(b.ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{"email", "page"} {
		b.openAt(fmt.Sprintf("/admin/issues/%d/preview/%s", draft.Number, part), "body")
		if got := b.text("body"); !strings.Contains(got, "written on the desk") {
			t.Errorf("the %s preview has not the edit", part)
		}
		b.check("preview-" + part)
	}
	if _, err := chromedp.Call(b.ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: false}); err != nil {
		t.Fatal(err)
	}

	// A test copy, to the editor's own address.
	b.open(fmt.Sprintf("/admin/issues/%d", draft.Number))
	b.click("a test send", "#test-send", ".flash")
	if got := b.text(".flash"); !strings.Contains(got, "ann@example.org") {
		t.Errorf("after the test send: %q", got)
	}
	if n := srv.Count("ann@example.org"); n != 1 {
		t.Fatalf("%d test copies at the server", n)
	}

	// Scheduled a minute ahead (in Berlin), then the clock is moved past
	// that minute: the live view follows the send without a reload.
	at := clk.Now().In(berlin).Truncate(time.Minute).Add(2 * time.Minute)
	b.navigating("scheduling", chromedp.SetValue(chromedp.ID("at"), at.Format("2006-01-02T15:04")), chromedp.Click(chromedp.ID("schedule")))
	b.do("the live view", chromedp.WaitReady(chromedp.ID("progress")))
	if got := b.text("#progress-status"); !strings.Contains(got, "Scheduled for "+at.Format("2006-01-02 15:04")) {
		t.Errorf("after scheduling, the live view says %q", got)
	}
	if is, _ := app.Issue(ctx, draft.Number); is.State != store.IssueScheduled || !is.SendAt.Equal(at) {
		t.Fatalf("the issue is %s for %v; want scheduled for %v", is.State, is.SendAt, at)
	}
	if srv.Total() != 1 {
		t.Fatalf("%d messages before the time", srv.Total())
	}
	b.do("marking the page", chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	clk.jump(at.Sub(clk.Now()) + 2*time.Second)
	b.waitText("#progress-status", "Sent:", time.Minute)
	if !value(b, "the page's mark", chromedp.Evaluate[bool](`window.notReloaded === true`)) {
		t.Error("the live view reloaded the page")
	}
	if got := b.text("#progress-sent"); got == "0" {
		t.Errorf("the live view shows %s sent", got)
	}
	b.check("send")

	// At the server: the issue once per confirmed subscriber, and the
	// test copy.
	confirmed, _, err := app.Store.SubscriberPage(ctx, store.SubscriberQuery{Status: store.StatusConfirmed, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	counts := srv.Counts()
	var got []string
	for addr := range counts {
		got = append(got, addr)
	}
	slices.Sort(got)
	for _, s := range confirmed {
		if counts[strings.ToLower(s.Email)] != 1 && counts[s.Email] != 1 {
			t.Errorf("%s got %d messages", s.Email, counts[s.Email])
		}
	}
	for _, gone := range []string{"dave@example.com", "erin@example.com", "reader03@example.net"} {
		if counts[gone] != 0 {
			t.Errorf("%s, who left, got %d messages", gone, counts[gone])
		}
	}
	if want := len(confirmed) + 1; srv.Total() != want || len(confirmed) < 40 {
		t.Errorf("%d messages at the server for %d confirmed subscribers and a test copy", srv.Total(), len(confirmed))
	}
	t.Logf("SMTP server: %d messages: the issue once to each of %d confirmed subscribers, and 1 test copy to ann@example.org", srv.Total(), len(confirmed))
	for _, m := range srv.Messages() {
		if !slices.Contains(m.To, "carol@example.com") {
			continue
		}
		subject, _, text, html := mimeParts(t, m.Data)
		if strings.Contains(subject, "[TEST]") || !strings.Contains(text, "written on the desk") || !strings.Contains(html, "written on the desk") {
			t.Errorf("carol's message (%q) has not the edited summary:\n%s", subject, text)
		}
		if i, j := strings.Index(text, second.Title), strings.Index(text, first.Title); i < 0 || j < 0 || i > j {
			t.Errorf("carol's message has not the new order (%d, %d):\n%s", i, j, text)
		}
	}
	if is, _ := app.Issue(ctx, draft.Number); is.State != store.IssueSent {
		t.Errorf("after its send the issue is %s", is.State)
	}
	// The dashboard's last sends have it, with its figures.
	b.open("/admin/")
	if got := b.text("#sends-h ~ .table-wrap tbody tr"); !strings.Contains(got, fmt.Sprintf("#%d", draft.Number)) ||
		!strings.Contains(got, "sent") || !strings.Contains(got, fmt.Sprint(len(confirmed))) {
		t.Errorf("the dashboard's last sends: %q, want issue #%d sent to %d", got, draft.Number, len(confirmed))
	}

	// Sources: paused (status says so), fetched now, resumed.
	b.open("/admin/sources")
	b.click("pausing the source", "button[aria-label='Pause: test']", "#sources")
	if got := b.text("#source-test"); !strings.Contains(got, "paused") {
		t.Errorf("the paused source shows %q", got)
	}
	st, err := app.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var status strings.Builder
	st.WriteText(&status)
	if !strings.Contains(status.String(), "PAUSED since") || !strings.Contains(status.String(), "admin:ann") {
		t.Errorf("bulletin status does not show the pause:\n%s", status.String())
	}
	if crep, err := app.Collect(ctx); err != nil || !slices.Equal(crep.Paused, []string{"test"}) || crep.Found != 0 {
		t.Errorf("collect with the source paused: %+v, %v", crep, err)
	}
	b.click("fetching it now", "button[aria-label='Fetch now: test']", "#sources")
	if got := b.text(".flash"); !strings.Contains(got, "test read: ") {
		t.Errorf("after fetch now: %q", got)
	}
	b.check("sources")
	b.click("resuming it", "button[aria-label='Resume: test']", "#sources")
	if got := b.text("#source-test"); strings.Contains(got, "paused") {
		t.Errorf("the resumed source shows %q", got)
	}

	// The audit log has who did what.
	b.open("/admin/audit")
	log := b.text("#audit")
	for _, want := range []string{"user.sign-in", "subscribers.import", "subscriber.unsubscribe", "subscriber.forget", "entry.move",
		"entry.edit", "issue.test", "issue.schedule", "issue.release", "issue.sent", "source.pause", "source.fetch", "source.resume"} {
		if !strings.Contains(log, want) {
			t.Errorf("the audit log has no %s", want)
		}
	}
	b.check("audit")

	// Users: an admin adds an editor.
	b.open("/admin/users")
	b.navigating("adding a user", chromedp.SendKeys(chromedp.ID("user-name"), "bo"), chromedp.SendKeys(chromedp.ID("user-email"), "bo@example.org"),
		chromedp.SendKeys(chromedp.ID("user-password"), "another long password"), chromedp.Click(chromedp.CSS("#add-h ~ form button")))
	b.do("the users", chromedp.WaitReady(chromedp.CSS(".flash")))
	if got := b.text("#users"); !strings.Contains(got, "bo") || !strings.Contains(got, "bo@example.org") {
		t.Errorf("users after adding bo: %s", got)
	}
	b.check("users")
	b.open("/admin/account")
	b.check("account")

	// Pages of others that post to the desk while the admin is signed in
	// add no admin. One at localhost is another site (the SameSite=Lax
	// cookie stays behind); one at 127.0.0.1 on another port is the same
	// site but another origin (the browser sends the cookie). The desk
	// refuses both by their origin, which the browser tells, before it
	// looks at the session or the form's token.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, fmt.Sprintf(`<!DOCTYPE html><html lang="en"><title>x</title><form method="post" action="%s/admin/users">`+
			`<input name="name" value="mallory"><input name="role" value="admin"><input name="password" value="mallory's password">`+
			`<button id="go">go</button></form>`, base))
	}))
	defer evil.Close()
	for _, attack := range []struct{ what, url, want string }{
		{"another site", strings.Replace(evil.URL, "127.0.0.1", "localhost", 1), "posted from another site"},
		{"another origin of the same site", evil.URL, "posted from another site"},
	} {
		b.do(attack.what+"'s page", chromedp.Navigate(attack.url))
		b.navigating(attack.what+"'s form", chromedp.Click(chromedp.ID("go")))
		if body := b.text("body"); !strings.Contains(body, attack.want) {
			t.Errorf("a post from %s got %q, want %q", attack.what, body, attack.want)
		}
		if _, err := app.Store.AdminUserByName(ctx, "mallory"); err == nil {
			t.Fatalf("a post from %s added a user", attack.what)
		}
	}
	b.br.Drain() // the refusals' 401 and 403 are logged to the console

	// Signing out ends the session: its cookie, copied before, opens
	// nothing.
	b.open("/admin/")
	b.click("signing out", ".sign-out button", "#name")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", base+"/admin/subscribers", nil)
	req.AddCookie(stolen)
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/admin/sign-in") {
		t.Errorf("the cookie after sign-out: %s, to %q; want a 303 to the sign-in page", res.Status, res.Header.Get("Location"))
	}
	form := url.Values{"subject": {"Stolen"}}
	req, _ = http.NewRequest("POST", base+fmt.Sprintf("/admin/issues/%d/subject", draft.Number), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(stolen)
	if res, err = client.Do(req); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a post with the cookie after sign-out: %s, want 401", res.Status)
	}

	for _, line := range b.Axe {
		t.Logf("axe-core: %s", line)
	}
}
