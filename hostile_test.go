package bulletin

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// secretPage is what a service on an internal address answers: text that
// must never leave the machine.
const secretMark = "VAULT-4471"

func secretPage(n int) string {
	var b strings.Builder
	b.WriteString("<html><head><title>Internal</title></head><body><article><h1>Internal status</h1>")
	for i := range 8 {
		fmt.Fprintf(&b, "<p>The internal service %d reports that the vault code %s-%d opens the archive room on the second floor, "+
			"and staff should keep the code to themselves at all times.</p>", n, secretMark, i)
	}
	b.WriteString("</article></body></html>")
	return b.String()
}

// internalServer serves secretPage on addr (an internal address on
// loopback) and counts the connections it accepts.
func internalServer(t *testing.T, addr string, n int) (url string, conns *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	conns = &atomic.Int32{}
	srv := &httptest.Server{
		Listener: ln,
		Config: &http.Server{
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				fmt.Fprint(w, secretPage(n))
			}),
			ConnState: func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			},
		},
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL, conns
}

// TestFeedCannotMakeBulletinReadInternalAddresses is the SSRF attack, run on
// loopback: a feed (on 127.0.0.1, which the test config allows) whose item
// links point at 127.0.0.2 and 0.0.0.0, and at its own host, which answers
// with a redirect to 127.0.0.2. Their teasers make the full-text fetch read
// those pages. None of their text may reach the store, the published feeds
// and pages, or the emails, and the internal servers see no connection.
func TestFeedCannotMakeBulletinReadInternalAddresses(t *testing.T) {
	ctx := context.Background()
	loop2, loop2Conns := internalServer(t, "127.0.0.2:0", 1)
	_, anyPort, _ := net.SplitHostPort(strings.TrimPrefix(mustServe(t, "127.0.0.1:0", 2), "http://"))
	anyURL := "http://0.0.0.0:" + anyPort // reaches the 127.0.0.1 listener on Linux

	var feedURL string
	feedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, loop2+"/after-redirect", http.StatusFound)
		case "/feed.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, rssFeed, teaser("Loopback two", loop2+"/status")+
				teaser("Any address", anyURL+"/status")+
				teaser("Moved", feedURL+"/moved"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer feedSrv.Close()
	feedURL = feedSrv.URL

	app, dir := newTestApp(t, t.TempDir(), "fetch:\n  seed_new_sources: false\n  allow_networks: [127.0.0.1/32]\n")
	app.Config.Sources = []SourceConfig{{Name: "upstream", Feed: feedURL + "/feed.xml", FullText: "auto"}}
	rep, err := app.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Collect.Found != 3 {
		t.Errorf("collected %d articles, want the 3 items with their feed text", rep.Collect.Found)
	}
	if rep.Collect.Problems < 3 {
		t.Errorf("%d problems reported, want one for each refused page", rep.Collect.Problems)
	}
	if n := loop2Conns.Load(); n != 0 {
		t.Errorf("the server on 127.0.0.2 accepted %d connections", n)
	}
	if found := leaks(t, app, dir, secretMark); len(found) > 0 {
		t.Errorf("internal page text was stored, published or mailed: in %s", strings.Join(found, ", "))
	}
	if found := leaks(t, app, dir, "Loopback two"); len(found) < 3 || !strings.Contains(strings.Join(found, " "), " store") {
		t.Errorf("the items themselves were found only in %v; want the store, the feeds and the mail", found)
	}
}

// teaser is an RSS item whose short description makes auto mode fetch its
// page.
func teaser(title, link string) string {
	return fmt.Sprintf(`<item><title>%s</title><link>%s</link><description>A short teaser on %s…</description></item>`, title, link, title)
}

// mustServe serves secretPage on addr and returns its URL.
func mustServe(t *testing.T, addr string, n int) string {
	u, _ := internalServer(t, addr, n)
	return u
}

// leaks lists where mark was found: the files under dir (the public
// folder, the outbox, and a SQLite database and its journal) and the
// articles and entries of the app's store, on whichever backend it is.
func leaks(t *testing.T, app *App, dir, mark string) []string {
	t.Helper()
	found := filesContaining(t, dir, mark)
	st := app.Store
	driver, dsn, arg := "sqlite", "file:"+strings.TrimPrefix(st.Path(), "sqlite:"), "?1"
	if st.Dialect() == "postgres" {
		driver, dsn, arg = "pgx", st.Path(), "$1"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	q := strings.ReplaceAll(`SELECT (SELECT count(*) FROM articles WHERE title LIKE ARG OR text LIKE ARG) +
		(SELECT count(*) FROM entries WHERE summary LIKE ARG OR teaser LIKE ARG)`, "ARG", arg)
	if err := db.QueryRow(q, "%"+mark+"%").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		found = append(found, fmt.Sprintf("%d rows of the %s store", n, st.Dialect()))
	}
	return found
}

// filesContaining lists the files under dir that hold mark.
func filesContaining(t *testing.T, dir, mark string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(mark)) {
			rel, _ := filepath.Rel(dir, p)
			found = append(found, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// loopbackFeeds is the config that lets a test read feeds from httptest
// servers, as an operator would allow an intranet.
const loopbackFeeds = "fetch:\n  allow_networks: [127.0.0.1/32]\n"

// A 10 MB feed of 100,000 items was collected whole (56 s, 266 MB, 100,000
// articles stored); a collect now takes the newest fetch.max_items of them
// and says so.
func TestCollectTakesTheNewestItemsOfAHugeFeed(t *testing.T) {
	body, items := bigFeed(10 << 20)
	url := serveBytes(t, "application/rss+xml", body)
	app, _ := newTestApp(t, t.TempDir(), loopbackFeeds)
	app.Config.Sources = []SourceConfig{{Name: "flood", Feed: url + "/feed.xml", FullText: "never"}}
	rep, err := app.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Found != app.Config.Fetch.MaxItems || rep.New != app.Config.Fetch.MaxItems {
		t.Errorf("of %d items, %d found and %d stored; want the newest %d", items, rep.Found, rep.New, app.Config.Fetch.MaxItems)
	}
	if rep.Problems != 1 {
		t.Errorf("%d problems, want the cut reported", rep.Problems)
	}
	if tot, _ := app.Store.Totals(context.Background()); tot.Articles != app.Config.Fetch.MaxItems {
		t.Errorf("%d articles stored", tot.Articles)
	}
}

// 3,000 teaser items made 3,000 page fetches in one collect; now at most
// fetch.max_pages.
func TestCollectBoundsPageFetches(t *testing.T) {
	var pages atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/feed.xml" {
			var b strings.Builder
			for i := range 3000 {
				b.WriteString(teaser(fmt.Sprintf("Teaser %d", i), fmt.Sprintf("http://%s/story/%d", r.Host, i)))
			}
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, rssFeed, b.String())
			return
		}
		pages.Add(1)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, "<html><body><article><p>%s</p></article></body></html>", strings.Repeat("The whole story. ", 80))
	}))
	defer srv.Close()
	app, _ := newTestApp(t, t.TempDir(), "fetch:\n  allow_networks: [127.0.0.1/32]\n  max_items: 5000\n  max_pages: 30\n")
	app.Config.Sources = []SourceConfig{{Name: "teasers", Feed: srv.URL + "/feed.xml"}}
	rep, err := app.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := pages.Load(); n != 30 {
		t.Errorf("%d page fetches, want fetch.max_pages = 30", n)
	}
	if rep.Found != 3000 || rep.Problems != 1 {
		t.Errorf("report %+v; want the 3,000 items with one problem for the pages not fetched", rep)
	}
}

// 16 slow pages held a collect for 80 s; fetch.collect_timeout ends it:
// the articles keep their feed text and are stored, the sources not read
// in time are named, and the collect fails so that cron hears of it.
func TestCollectStopsAtItsTimeout(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/teasers.xml":
			var b strings.Builder
			for i := range 16 {
				b.WriteString(teaser(fmt.Sprintf("Slow %d", i), fmt.Sprintf("http://%s/story/%d", r.Host, i)))
			}
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, rssFeed, b.String())
		default: // a slow page, or a slow feed
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		}
	}))
	defer srv.Close()
	app, _ := newTestApp(t, t.TempDir(), "fetch:\n  allow_networks: [127.0.0.1/32]\n  timeout: 30s\n  collect_timeout: 2s\n")
	app.Config.Sources = []SourceConfig{{Name: "teasers", Feed: srv.URL + "/teasers.xml"}}
	for i := range 4 {
		app.Config.Sources = append(app.Config.Sources, SourceConfig{Name: fmt.Sprintf("slow %d", i), Feed: fmt.Sprintf("%s/slow%d.xml", srv.URL, i)})
	}
	rep, err := app.Collect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "fetch.collect_timeout") {
		t.Errorf("err = %v; want the collect's time named", err)
	}
	if rep.Found != 16 || rep.New != 16 || rep.Problems != 1 {
		t.Errorf("report %+v; want the 16 teasers stored with their feed text and one problem", rep)
	}
	if len(rep.Failed) != 4 || !strings.HasPrefix(rep.Failed[0], "slow") {
		t.Errorf("failed %v; want the 4 slow feeds", rep.Failed)
	}
}

// A link in the article folder to a file outside it was read, and its
// text published and mailed; now it is skipped, and the collect counts it.
func TestFolderLinkOutIsNotPublished(t *testing.T) {
	base := t.TempDir()
	articles, private := filepath.Join(base, "articles"), filepath.Join(base, "private")
	os.Mkdir(articles, 0o755)
	os.Mkdir(private, 0o755)
	os.WriteFile(filepath.Join(private, "notes.txt"), []byte(secretPage(3)), 0o644)
	os.WriteFile(filepath.Join(private, "notes.html"), []byte(secretPage(4)), 0o644)
	for _, name := range []string{"notes.txt", "notes.html"} {
		if err := os.Symlink(filepath.Join(private, name), filepath.Join(articles, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(articles, "passwd.txt")); err != nil {
		t.Fatal(err)
	}
	examples, _ := filepath.Abs("examples/articles/2026-11-03-river-cleanup.txt")
	os.Symlink(examples, filepath.Join(articles, "river.txt")) // outside too, however harmless
	os.WriteFile(filepath.Join(articles, "own.txt"), []byte("Our own story\n\nThe council met on Monday and agreed on a plan for the park."), 0o644)

	app, dir := newTestApp(t, articles, "")
	rep, err := app.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Collect.Found != 1 || rep.Collect.Problems != 4 {
		t.Errorf("collect %s; want our own story found and the 4 links out reported", rep.Collect)
	}
	if found := leaks(t, app, dir, secretMark); len(found) > 0 {
		t.Errorf("text from outside the folder was stored, published or mailed: in %s", strings.Join(found, ", "))
	}
	if found := leaks(t, app, dir, "root:x:0:0"); len(found) > 0 {
		t.Errorf("/etc/passwd was stored, published or mailed: in %s", strings.Join(found, ", "))
	}
	if found := leaks(t, app, dir, "Our own story"); len(found) < 3 || !strings.Contains(strings.Join(found, " "), " store") {
		t.Errorf("our own story was found only in %v; want the store, the feeds and the mail", found)
	}
}
