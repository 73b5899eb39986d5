package bulletin

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/storetest"
	"github.com/bulletin-app/bulletin/store"
)

// BenchmarkDesk times the desk's heaviest pages on the server, as
// ServeHTTP answers them (session check, queries, template), on a list of
// 100,000 subscribers who joined over the last 90 days (a tenth of them
// left since), with a sent issue whose ledger has a row for each
// confirmed one. The account page, which reads no subscriber, is the
// baseline: its ms/op is what any page costs.
//
//	go test -run '^$' -bench Desk -benchtime 20x -count 5 .
//	BULLETIN_TEST_BACKEND=postgres BULLETIN_TEST_POSTGRES=... go test -run '^$' -bench Desk ...
func BenchmarkDesk(b *testing.B) {
	const subscribers = 100_000
	ctx := context.Background()
	dir := b.TempDir()
	abs, _ := filepath.Abs("examples/articles")
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte("sources:\n  - name: test\n    folder: "+abs+"\n"+
		"site:\n  url: http://127.0.0.1/\ndigest:\n  review: true\nschedule:\n  jobs:\n    collect: \"\"\n    issue: \"\"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		b.Fatal(err)
	}
	cfg.Database.URL = storetest.DatabaseURL(b)
	app, err := Open(ctx, cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { app.Close() })

	// 100 days' batches of 1,000: every tenth left 20 days after joining.
	start := time.Now().AddDate(0, 0, -100)
	for day := range subscribers / 1000 {
		at := start.AddDate(0, 0, day)
		app.Store.SetClock(func() time.Time { return at })
		batch := make([]store.NewSubscriber, 1000)
		for i := range batch {
			n := day*1000 + i
			batch[i] = store.NewSubscriber{Email: fmt.Sprintf("reader%06d@example%d.net", n, n%50), Name: fmt.Sprintf("Reader %d", n), Status: store.StatusConfirmed}
		}
		if _, _, err := app.Store.ImportSubscribers(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	app.Store.SetClock(time.Now)
	page, _, err := app.Store.SubscriberPage(ctx, store.SubscriberQuery{Status: store.StatusConfirmed, Limit: subscribers})
	if err != nil {
		b.Fatal(err)
	}
	for i, s := range page {
		if i%10 == 3 {
			at := s.CreatedAt.Add(20 * 24 * time.Hour)
			app.Store.SetClock(func() time.Time { return at })
			if _, err := app.Store.SetSubscriberStatus(ctx, s.ID, store.StatusUnsubscribed); err != nil {
				b.Fatal(err)
			}
		}
	}
	app.Store.SetClock(time.Now)
	rep, err := app.Run(ctx)
	if err != nil || rep.Issue.State != store.IssueDraft {
		b.Fatalf("run: %v, %+v", err, rep.Issue)
	}
	if _, err := app.Store.PlanDeliveries(ctx, rep.Issue.Number, ""); err != nil {
		b.Fatal(err)
	}
	if _, err := app.Store.MoveIssue(ctx, rep.Issue.Number, store.IssueSending, time.Now(), "cli:bench", store.AuditIssueRelease, ""); err != nil {
		b.Fatal(err)
	}
	if _, err := app.Store.MarkSent(ctx, rep.Issue.Number, "cli:bench", ""); err != nil {
		b.Fatal(err)
	}
	if _, err := app.AddUser(ctx, "cli:bench", "ann", store.RoleAdmin, "", "correct horse battery"); err != nil {
		b.Fatal(err)
	}

	benchStoreParts(b, app, rep.Issue.Number)
	h := app.Desk()
	cookie := benchSignIn(b, h)
	for _, bm := range []struct{ name, path, want string }{
		{"account", "/admin/account", "ann"},
		{"subscribers", "/admin/subscribers", "reader"},
		{"subscribers-next", "", "reader"}, // the page after the first: filled in below
		{"search", "/admin/subscribers?q=reader04242", "reader042429@"},
		{"search-domain", "/admin/subscribers?q=%40example7.net", "@example7.net"},
		{"unsubscribed", "/admin/subscribers?status=unsubscribed", "reader"},
		{"dashboard", "/admin/", "Last sends"},
	} {
		if bm.path == "" {
			first := serveDesk1(b, h, "/admin/subscribers", cookie)
			i := strings.Index(first, `href="/admin/subscribers?`)
			if i < 0 {
				b.Fatal("the subscribers' first page has no link to the next")
			}
			link := first[i+len(`href="`):]
			bm.path = strings.ReplaceAll(link[:strings.IndexByte(link, '"')], "&amp;", "&")
		}
		b.Run(bm.name, func(b *testing.B) {
			if body := serveDesk1(b, h, bm.path, cookie); !strings.Contains(body, bm.want) {
				b.Fatalf("%s has not %q:\n%.3000s", bm.path, bm.want, body)
			}
			for b.Loop() {
				serveDesk1(b, h, bm.path, cookie)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
		})
	}
}

// serveDesk1 answers one GET of the desk, which must be a 200.
func serveDesk1(b *testing.B, h http.Handler, path string, c *http.Cookie) string {
	req := httptest.NewRequest("GET", path, nil)
	req.AddCookie(c)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("%s: %d", path, rec.Code)
	}
	return rec.Body.String()
}

// benchSignIn signs ann in through the handler and returns her cookie.
func benchSignIn(b *testing.B, h http.Handler) *http.Cookie {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/admin/sign-in", nil))
	form := rec.Result()
	m := csrfInput.FindStringSubmatch(rec.Body.String())
	signin := cookieNamed(form.Cookies(), "bulletin_desk_signin")
	if m == nil || signin == nil {
		b.Fatal("no sign-in form")
	}
	req := httptest.NewRequest("POST", "/admin/sign-in", strings.NewReader(url.Values{
		"name": {"ann"}, "password": {"correct horse battery"}, "csrf": {m[1]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(signin)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	c := cookieNamed(rec.Result().Cookies(), "bulletin_desk")
	if c == nil {
		b.Fatalf("sign-in: %d", rec.Code)
	}
	return c
}

// benchStoreParts times the store's reads that the pages make, each on its
// own: where a page's time goes.
func benchStoreParts(b *testing.B, app *App, issue int) {
	ctx := context.Background()
	for _, part := range []struct {
		name string
		f    func() error
	}{
		{"count", func() error { _, err := app.Store.CountSubscribers(ctx); return err }},
		{"byday", func() error { _, err := app.Store.ConfirmedByDay(ctx, 90); return err }},
		{"page", func() error { _, _, err := app.Store.SubscriberPage(ctx, store.SubscriberQuery{Limit: 50}); return err }},
		{"search", func() error {
			_, _, err := app.Store.SubscriberPage(ctx, store.SubscriberQuery{Search: "reader04242", Limit: 50})
			return err
		}},
		{"domain", func() error {
			_, _, err := app.Store.SubscriberPage(ctx, store.SubscriberQuery{Search: "@example7.net", Limit: 50})
			return err
		}},
		{"deliv", func() error { _, err := app.Store.DeliveryCounts(ctx, issue); return err }},
	} {
		b.Run("store-"+part.name, func(b *testing.B) {
			for b.Loop() {
				if err := part.f(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
