package newsletter

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/storetest"

	"github.com/bulletin-app/bulletin/internal/smtptest"
	"github.com/bulletin-app/bulletin/source"
	"github.com/bulletin-app/bulletin/store"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// openStore opens a fresh store with one issue of two entries.
func openStore(t testing.TB) *store.Store {
	t.Helper()
	return openStoreTitled(t, func(n int) string { return fmt.Sprintf("Weekly notes #%d — café", n) })
}

// openStoreTitled is openStore with the issue titled by title.
func openStoreTitled(t testing.TB, title func(int) string) *store.Store {
	t.Helper()
	return withIssue(t, storetest.Open(t), title)
}

// withIssue gives st an issue of two entries, titled by title.
func withIssue(t testing.TB, st *store.Store, title func(int) string) *store.Store {
	t.Helper()
	ctx := context.Background()
	articles := []source.Article{
		{Key: "https://example.org/a", URL: "https://example.org/a", Title: "Tides & <moons>", Author: "Ana",
			Source: "Example", Text: "The moon pulls the sea. Tides follow.", Published: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)},
		{Key: "https://example.org/b", URL: "https://example.org/b", Title: "Ünïcode café", Source: "Example",
			Text: "Accents travel well.", Published: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)},
	}
	for _, a := range articles {
		if _, err := st.SaveArticle(ctx, a, false); err != nil {
			t.Fatal(err)
		}
	}
	ids := saveEntries(t, st)
	if _, err := st.CreateIssue(ctx, title, ids); err != nil {
		t.Fatal(err)
	}
	return st
}

func saveEntries(t testing.TB, st *store.Store) []int64 {
	t.Helper()
	ctx := context.Background()
	arts, err := st.ArticlesToSummarize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		e := store.Entry{ArticleID: a.ID, ContentHash: a.ContentHash, Summary: []string{a.Title + " in short.", "<b>not bold</b>"},
			Teaser: "Teaser of " + a.Title, Method: "extractive"}
		if err := st.SaveEntry(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	es, err := st.UnissuedEntries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	return ids
}

// addSubscribers adds n confirmed subscribers user0001@example.org, ….
func addSubscribers(t testing.TB, st *store.Store, n int) []string {
	t.Helper()
	rows := make([]store.NewSubscriber, n)
	emails := make([]string, n)
	for i := range rows {
		emails[i] = fmt.Sprintf("user%05d@example.org", i+1)
		rows[i] = store.NewSubscriber{Email: emails[i], Name: subscriberName(i), Status: store.StatusConfirmed}
	}
	if _, _, err := st.ImportSubscribers(context.Background(), rows); err != nil {
		t.Fatal(err)
	}
	return emails
}

// subscriberName is the name addSubscribers gives its i-th subscriber: every
// other one has none, so that both variants of a message are sent.
func subscriberName(i int) string {
	if i%2 == 0 {
		return fmt.Sprintf("Reader %d", i+1)
	}
	return ""
}

func testOptions(t testing.TB) Options {
	return Options{
		SiteTitle:             "Bulletin",
		From:                  "Bulletin Desk <news@bulletin.example>",
		SiteURL:               "https://bulletin.example",
		ListUnsubscribeMailto: "unsubscribe@bulletin.example",
		OutboxDir:             filepath.Join(t.TempDir(), "outbox"),
		Secret:                testSecret,
		RetryBackoff:          time.Millisecond,
		Logger:                slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func smtpOptions(t testing.TB, srv *smtptest.Server) Options {
	o := testOptions(t)
	o.OutboxDir = ""
	o.SMTP = SMTP{Host: srv.Host, Port: srv.Port, TLS: "none", Timeout: 5 * time.Second}
	return o
}

func newTestNewsletter(t testing.TB, st *store.Store, o Options) *Newsletter {
	t.Helper()
	n, err := New(st, o)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// parsedMessage is a received message taken apart.
type parsedMessage struct {
	header      mail.Header
	partTypes   []string
	text, html  string
	contentType string
}

func parseMessage(t testing.TB, raw []byte) parsedMessage {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	pm := parsedMessage{header: m.Header}
	ct, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("content type: %v", err)
	}
	pm.contentType = ct
	if !strings.HasPrefix(ct, "multipart/") {
		t.Fatalf("content type %s, want multipart/alternative", ct)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		body, err := io.ReadAll(p) // multipart decodes quoted-printable
		if err != nil {
			t.Fatal(err)
		}
		pm.partTypes = append(pm.partTypes, pct)
		switch pct {
		case "text/plain":
			pm.text = string(body)
		case "text/html":
			pm.html = string(body)
		}
	}
	return pm
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var mimeDecoder = mime.WordDecoder{}

// lockedBuffer collects a child process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
