package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/bulletin-app/bulletin/feed"
	"github.com/bulletin-app/bulletin/internal/browsertest"
	"github.com/bulletin-app/bulletin/internal/design"
	"github.com/bulletin-app/bulletin/internal/testtool"
	"github.com/bulletin-app/bulletin/source"
	"github.com/bulletin-app/bulletin/store"
)

// TestPagesAndEmailsInChromiumWithAxe shows every public page (the
// archive's index and issues, and each step of subscribing, confirming,
// choosing preferences and unsubscribing) and the HTML of every email
// (an issue, a weekly digest, the confirmation, the welcome) in headless
// Chromium, and runs axe-core on each in the light and the dark theme, at
// 1280 and 390 pixels wide: no violation of serious or critical impact
// (colour contrast among them), no page wider than the window at 390, and
// no console message (a Content-Security-Policy violation is one).
func TestPagesAndEmailsInChromiumWithAxe(t *testing.T) {
	chromium := testtool.Need(t, "chromium")[0]
	axe := browsertest.AxeScript()
	if axe == "" {
		testtool.Missing(t, browsertest.ErrNoAxe.Error())
	}
	e := newSubscribeEnv(t)
	ctx := context.Background()
	mails := map[string]string{}
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
	// An image on the lead story, as a feed would name it: linked, not
	// served here (its request fails, as it would offline).
	issues[0].Entries[0].Image = source.Image{URL: "https://images.example.org/lead.jpg", Width: 1200, Height: 630, Alt: "The lead story's picture"}
	theme := design.MustTheme("#0b57d0")
	set, err := feed.Build(feed.Site{Title: "Axe Test", Description: "Stories, checked.", URL: srv.URL + "/", Language: "en",
		Theme: theme, Images: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, issues)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	MountArchive(mux, feed.NewHandler(set))
	e.subs.Routes(mux)
	pages := Secure(mux, SecurityOptions{})
	// The emails, outside the pages' policy: a mail client shows them,
	// with their inline styles.
	mailMux := http.NewServeMux()
	mailMux.HandleFunc("GET /mail/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, mails[r.PathValue("name")])
	})
	handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/mail/") {
			mailMux.ServeHTTP(w, r)
			return
		}
		pages.ServeHTTP(w, r)
	})

	// The emails, as subscribers get them.
	issueHTML, weeklyHTML := issueAndWeeklyEmails(t, e)
	mails["issue"], mails["weekly"] = issueHTML, weeklyHTML

	br, err := browsertest.Start(chromium, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(br.Close)
	check := func(name string) {
		t.Helper()
		for _, m := range br.Messages() {
			// The picture is not served; an expired link's page is a 400.
			if !strings.Contains(m, "images.example.org") && !strings.Contains(m, "status of 400") && !strings.Contains(m, "/favicon.ico") {
				t.Errorf("%s: %s", name, m)
			}
		}
		for _, dark := range []bool{false, true} {
			for _, width := range []int{1280, 390} {
				if err := br.Theme(dark, width); err != nil {
					t.Fatal(err)
				}
				what := name
				if dark {
					what += ", dark"
				}
				if width == 390 {
					what += ", 390 px"
					if over, err := br.Overflow(); err != nil || over > 0 {
						t.Errorf("%s: the page is %d px wider than the window (%v)", what, over, err)
					}
				}
				vs, err := br.Axe(axe)
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				for _, v := range browsertest.Serious(vs) {
					t.Errorf("%s: axe: %s", what, v)
				}
				if width == 1280 && !dark {
					for _, v := range vs {
						t.Logf("%s: axe, not serious: %s", what, v)
					}
				}
			}
		}
		br.Theme(false, 1280)
	}
	visit := func(name, path string, sel string) {
		t.Helper()
		if err := br.Do(chromedp.Navigate(srv.URL+path), chromedp.WaitReady(chromedp.CSS(sel))); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		check(name)
	}
	submit := chromedp.CSS("main button[type=submit]")

	visit("the archive", "/", "footer")
	visit("an issue", "/issues/3/", "footer")
	visit("another issue", "/issues/2/", "footer")
	visit("the issue email", "/mail/issue", "body")
	visit("the weekly digest", "/mail/weekly", "body")
	visit("the sign-up form", "/subscribe", "footer")
	if err := br.Do(chromedp.SendKeys(chromedp.ID("email"), "eve@example.org"), chromedp.SendKeys(chromedp.ID("name"), "Eve Example"),
		chromedp.Click(submit), chromedp.WaitVisible(chromedp.Search("//h1[contains(., 'Check your inbox')]"))); err != nil {
		t.Fatal(err)
	}
	check("signed up")
	e.drain(t)
	msgs := e.smtp.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages after signing up", len(msgs))
	}
	mails["confirm"] = mimePart(t, msgs[0].Data, "text/html")
	visit("the confirmation email", "/mail/confirm", "body")
	link := confirmLink.FindStringSubmatch(textPart(t, msgs[0].Data))
	if link == nil {
		t.Fatal("no confirmation link")
	}
	visit("the confirmation page", link[1], "footer")
	if err := br.Do(chromedp.Click(submit), chromedp.WaitVisible(chromedp.Search("//h1[contains(., 'Subscribed')]"))); err != nil {
		t.Fatal(err)
	}
	check("confirmed")
	e.drain(t)
	msgs = e.smtp.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages after confirming, want the welcome too", len(msgs))
	}
	mails["welcome"] = mimePart(t, msgs[1].Data, "text/html")
	visit("the welcome email", "/mail/welcome", "body")
	prefs := regexp.MustCompile(`https://bulletin\.example(/preferences\?token=[A-Za-z0-9_.%-]+)`).FindStringSubmatch(textPart(t, msgs[1].Data))
	if prefs == nil {
		t.Fatalf("no preferences link in the welcome:\n%s", textPart(t, msgs[1].Data))
	}
	visit("the preferences page", prefs[1], "footer")
	if err := br.Do(chromedp.Click(chromedp.CSS(`input[value=weekly]`)), chromedp.Click(chromedp.CSS("form[action$=preferences] button")),
		chromedp.WaitVisible(chromedp.Search("//p[contains(., 'Saved')]"))); err != nil {
		t.Fatal(err)
	}
	check("preferences saved")
	if sub, _ := e.st.SubscriberByEmail(ctx, "eve@example.org"); sub.Cadence != store.CadenceWeekly {
		t.Errorf("after saving in the browser: cadence %q, want weekly", sub.Cadence)
	}
	visit("the unsubscribe page", "/unsubscribe?token="+url.QueryEscape(e.nl.UnsubscribeToken("eve@example.org")), "footer")
	if err := br.Do(chromedp.Click(submit), chromedp.WaitVisible(chromedp.Search("//h1[contains(., 'Unsubscribed')]"))); err != nil {
		t.Fatal(err)
	}
	check("unsubscribed")
	visit("an expired link", "/confirm?token=nonsense", "footer")
}

// issueAndWeeklyEmails builds an issue of three stories in the store, and
// a weekly digest of it, and returns the HTML of their emails.
func issueAndWeeklyEmails(t *testing.T, e *subscribeEnv) (issue, weekly string) {
	t.Helper()
	ctx := context.Background()
	for i, title := range []string{"City library extends weekend opening hours after reader petition",
		"Volunteers pull two tonnes of rubbish from the river", "Family bakery wins national bread award"} {
		a := source.Article{Key: "https://news.example.org/" + title, URL: "https://news.example.org/" + url.PathEscape(title),
			Title: title, Author: "Maren Holt", Source: "Example News", Text: title + ". It happened."}
		if i == 0 {
			a.Image = source.Image{URL: "https://images.example.org/library.jpg", Width: 1200, Height: 800, Alt: "Readers at the library"}
		}
		if _, err := e.st.SaveArticle(ctx, a, false); err != nil {
			t.Fatal(err)
		}
	}
	todo, err := e.st.ArticlesToSummarize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, a := range todo {
		if err := e.st.SaveEntry(ctx, store.Entry{ArticleID: a.ID, ContentHash: a.ContentHash,
			Summary: []string{a.Title + " on Monday.", "More on it follows."}, Teaser: a.Title + ".", Method: "extractive"}); err != nil {
			t.Fatal(err)
		}
	}
	un, _ := e.st.UnissuedEntries(ctx)
	for _, en := range un {
		ids = append(ids, en.ID)
	}
	is, err := e.st.CreateIssue(ctx, func(int) string { return "City library extends weekend opening hours, and 2 more stories" }, ids)
	if err != nil {
		t.Fatal(err)
	}
	_, issue, _, err = e.nl.Preview(ctx, is.Number)
	if err != nil {
		t.Fatal(err)
	}
	w, err := e.nl.BuildWeekly(ctx, is.CreatedAt.Add(1))
	if err != nil {
		t.Fatal(err)
	}
	_, weekly, _, err = e.nl.Preview(ctx, w.Number)
	if err != nil {
		t.Fatal(err)
	}
	return issue, weekly
}
