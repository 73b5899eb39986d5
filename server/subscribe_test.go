package server

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/storetest"

	"github.com/bulletin-app/bulletin/internal/design"
	"github.com/bulletin-app/bulletin/internal/smtptest"
	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/store"
	"github.com/bulletin-app/bulletin/templates"
)

type subscribeEnv struct {
	st   *store.Store
	nl   *newsletter.Newsletter
	subs *Subscriptions
	smtp *smtptest.Server
	srv  *httptest.Server
}

func newSubscribeEnv(t *testing.T) *subscribeEnv {
	t.Helper()
	st := storetest.Open(t)
	mail := smtptest.Start(t)
	nl, err := newsletter.New(st, newsletter.Options{
		SiteTitle: "Bulletin", From: "Bulletin <news@bulletin.example>", SiteURL: "https://bulletin.example",
		Secret:  []byte("0123456789abcdef0123456789abcdef"),
		SMTP:    newsletter.SMTP{Host: mail.Host, Port: mail.Port, TLS: "none"},
		Signups: newsletter.SignupOptions{Rate: 1000},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- nl.RunSignups(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	subs, err := NewSubscriptions(nl, design.Site{Title: "Bulletin", URL: "https://bulletin.example/"}, templates.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	subs.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &subscribeEnv{st: st, nl: nl, subs: subs, smtp: mail, srv: srv}
}

func (e *subscribeEnv) post(t *testing.T, path, contentType, body string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(e.srv.URL+path, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	e.drain(t)
	return resp, string(b)
}

// drain waits until every queued sign-up has been handled: its
// confirmation sent, or not needed.
func (e *subscribeEnv) drain(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := e.st.CountSignups(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sign-ups still queued", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (e *subscribeEnv) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// textPart returns the decoded text/plain part of a multipart message.
func textPart(t *testing.T, raw []byte) string {
	t.Helper()
	return mimePart(t, raw, "text/plain")
}

// mimePart returns the decoded part of a multipart message of the media
// type.
func mimePart(t *testing.T, raw []byte, mediaType string) string {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("no %s part: %v", mediaType, err)
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), mediaType) {
			b, _ := io.ReadAll(p)
			return string(b)
		}
	}
}

var confirmLink = regexp.MustCompile(`https://bulletin\.example(/confirm\?token=[A-Za-z0-9_.%-]+)`)

func TestDoubleOptIn(t *testing.T) {
	e := newSubscribeEnv(t)
	ctx := context.Background()
	form := url.Values{"email": {"ann@example.org"}, "name": {"Ann"}}.Encode()
	resp, body := e.post(t, "/subscribe", "application/x-www-form-urlencoded", form)
	if resp.StatusCode != http.StatusAccepted || !strings.Contains(body, "check your inbox") {
		t.Fatalf("subscribe: %d %s", resp.StatusCode, body)
	}
	sub, err := e.st.SubscriberByEmail(ctx, "ann@example.org")
	if err != nil || sub.Status != store.StatusPending {
		t.Fatalf("after subscribing: %+v %v", sub, err)
	}
	msgs := e.smtp.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d confirmation messages, want 1", len(msgs))
	}
	link := confirmLink.FindStringSubmatch(textPart(t, msgs[0].Data))
	if link == nil {
		t.Fatalf("no confirm link in:\n%s", msgs[0].Data)
	}

	// Subscribing again right away is harmless: same answer, no new mail.
	resp2, body2 := e.post(t, "/subscribe", "application/x-www-form-urlencoded", form)
	if resp2.StatusCode != resp.StatusCode || body2 != body {
		t.Fatalf("second subscribe answered differently: %d", resp2.StatusCode)
	}
	if n := len(e.smtp.Messages()); n != 1 {
		t.Fatalf("second subscribe sent another mail (%d)", n)
	}

	// A forged or altered token is refused.
	bad := strings.Replace(link[1], "token=", "token=x", 1)
	if r, _ := e.get(t, bad); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("altered token: %d", r.StatusCode)
	}
	// Opening the link, as a mail scanner does (GET or HEAD), confirms
	// nothing: it shows a button.
	r, b := e.get(t, link[1])
	if r.StatusCode != http.StatusOK || !strings.Contains(b, "<button") || !strings.Contains(b, `action="/confirm"`) {
		t.Fatalf("confirm page: %d %s", r.StatusCode, b)
	}
	if hr, err := http.Head(e.srv.URL + link[1]); err != nil || hr.StatusCode != http.StatusOK {
		t.Fatalf("HEAD: %v %v", hr, err)
	}
	if sub, _ := e.st.SubscriberByEmail(ctx, "ann@example.org"); sub.Status != store.StatusPending {
		t.Fatalf("opening the link (GET, HEAD) made ann %s", sub.Status)
	}
	// The page's button posts the token.
	token := formToken(t, b)
	if r, b := e.post(t, "/confirm", "application/x-www-form-urlencoded", "token="+url.QueryEscape(token)); r.StatusCode != http.StatusOK || !strings.Contains(b, "You are subscribed") {
		t.Fatalf("confirm: %d %s", r.StatusCode, b)
	}
	sub, _ = e.st.SubscriberByEmail(ctx, "ann@example.org")
	if sub.Status != store.StatusConfirmed {
		t.Fatalf("status %s after confirming", sub.Status)
	}
	// The link is used up; pressing again says so, harmlessly.
	if r, b := e.post(t, "/confirm", "application/x-www-form-urlencoded", "token="+url.QueryEscape(token)); r.StatusCode != http.StatusOK || !strings.Contains(b, "has been used") {
		t.Fatalf("confirming twice: %d %s", r.StatusCode, b)
	}

	// Confirmed: the welcome email follows, through the same queue.
	e.drain(t)
	msgs = e.smtp.Messages()
	if len(msgs) != 2 || !strings.Contains(textPart(t, msgs[1].Data), "Welcome") ||
		!strings.Contains(textPart(t, msgs[1].Data), "/preferences?token=") {
		t.Fatalf("after confirming, %d messages; want the confirmation and a welcome with the preferences link", len(msgs))
	}

	// A confirmed address subscribing again: the same answer, no mail.
	resp3, body3 := e.post(t, "/subscribe", "application/x-www-form-urlencoded", form)
	if resp3.StatusCode != resp.StatusCode || body3 != body || len(e.smtp.Messages()) != 2 {
		t.Fatalf("resubscribing a confirmed address leaked or mailed")
	}
}

// formToken is the token a page's form posts.
func formToken(t *testing.T, page string) string {
	t.Helper()
	m := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no token in the form:\n%s", page)
	}
	return html.UnescapeString(m[1])
}

// TestConfirmLinkIsGoodForOneStateChange: a confirmation link made before
// an unsubscribe must not subscribe the address again, though it has not
// expired; nor may a link be used twice to undo what happened since.
func TestConfirmLinkIsGoodForOneStateChange(t *testing.T) {
	e := newSubscribeEnv(t)
	ctx := context.Background()
	confirm := func(link string) (int, string) {
		_, page := e.get(t, link)
		if !strings.Contains(page, "<button") {
			return http.StatusBadRequest, page
		}
		r, b := e.post(t, "/confirm", "application/x-www-form-urlencoded", "token="+url.QueryEscape(formToken(t, page)))
		return r.StatusCode, b
	}
	lastLink := func() string {
		msgs := e.smtp.Messages()
		m := confirmLink.FindStringSubmatch(textPart(t, msgs[len(msgs)-1].Data))
		if m == nil {
			t.Fatal("no confirm link")
		}
		return m[1]
	}
	if _, err := e.nl.Subscribe(ctx, "dee@example.org", ""); err != nil {
		t.Fatal(err)
	}
	first := lastLink()
	if code, b := confirm(first); code != 200 || !strings.Contains(b, "You are subscribed") {
		t.Fatalf("confirm: %d %s", code, b)
	}
	if _, err := e.nl.Unsubscribe(ctx, e.nl.UnsubscribeToken("dee@example.org")); err != nil {
		t.Fatal(err)
	}
	// The old link, posted directly as a scanner or an attacker could.
	token := strings.TrimPrefix(first, "/confirm?token=")
	tok, _ := url.QueryUnescape(token)
	r, b := e.post(t, "/confirm", "application/x-www-form-urlencoded", "token="+url.QueryEscape(tok))
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(b, "no longer valid") {
		t.Errorf("old link after unsubscribing: %d %s", r.StatusCode, b)
	}
	if g, _ := e.get(t, first); g.StatusCode != http.StatusBadRequest {
		t.Errorf("old link's page after unsubscribing: %d", g.StatusCode)
	}
	if sub, _ := e.st.SubscriberByEmail(ctx, "dee@example.org"); sub.Status != store.StatusUnsubscribed {
		t.Fatalf("an old confirmation link re-subscribed dee: %s", sub.Status)
	}
}

func TestSubscribeJSONHoneypotAndInvalid(t *testing.T) {
	e := newSubscribeEnv(t)
	e.subs.Burst = 100
	ctx := context.Background()
	resp, body := e.post(t, "/subscribe", "application/json", `{"email":"bob@example.org"}`)
	if resp.StatusCode != http.StatusAccepted || !strings.Contains(body, `"message"`) {
		t.Fatalf("JSON subscribe: %d %s", resp.StatusCode, body)
	}
	if _, err := e.st.SubscriberByEmail(ctx, "bob@example.org"); err != nil {
		t.Fatal(err)
	}
	resp, _ = e.post(t, "/subscribe", "application/x-www-form-urlencoded", "email=bot%40example.org&website=http%3A%2F%2Fspam")
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("honeypot: %d", resp.StatusCode)
	}
	if _, err := e.st.SubscriberByEmail(ctx, "bot@example.org"); err == nil {
		t.Fatal("honeypot submission was stored")
	}
	for _, bad := range []string{`{"email":"not-an-address"}`, `{"email":"x@nodot"}`, `{"email":"a@b.org\r\nBcc: c@d.org"}`, `{"email":"\"a b\"@example.org"}`} {
		resp, body = e.post(t, "/subscribe", "application/json", bad)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: %d %s", bad, resp.StatusCode, body)
		}
	}
	// The form refuses a quoted local part too, and stores nothing.
	resp, _ = e.post(t, "/subscribe", "application/x-www-form-urlencoded", "email="+url.QueryEscape(`"a b"@example.org`))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("form with a quoted local part: %d", resp.StatusCode)
	}
	if n, _ := e.st.CountSubscribers(ctx); n[store.StatusPending] != 1 {
		t.Errorf("subscribers after the refused ones: %v", n)
	}
}

func TestSubscribeRateLimit(t *testing.T) {
	e := newSubscribeEnv(t)
	e.subs.Burst = 3
	e.subs.PerClient = 1.0 / 3600
	codes := []int{}
	for range 5 {
		resp, _ := e.post(t, "/subscribe", "application/json", `{"email":"x@example.org"}`)
		codes = append(codes, resp.StatusCode)
	}
	want := []int{202, 202, 202, 429, 429}
	for i := range want {
		if codes[i] != want[i] {
			t.Fatalf("status codes %v, want %v", codes, want)
		}
	}
}

func TestUnsubscribe(t *testing.T) {
	e := newSubscribeEnv(t)
	ctx := context.Background()
	if _, _, err := e.st.AddSubscriber(ctx, "cy@example.org", "Cy", store.StatusConfirmed); err != nil {
		t.Fatal(err)
	}
	token := e.nl.UnsubscribeToken("cy@example.org")
	path := "/unsubscribe?token=" + url.QueryEscape(token)
	resp, body := e.get(t, path)
	if resp.StatusCode != 200 || !strings.Contains(body, "<button") || !strings.Contains(body, "cy@example.org") {
		t.Fatalf("unsubscribe page: %d %s", resp.StatusCode, body)
	}
	if hr, err := http.Head(e.srv.URL + path); err != nil || hr.StatusCode != http.StatusOK {
		t.Fatalf("HEAD: %v %v", hr, err)
	}
	if sub, _ := e.st.SubscriberByEmail(ctx, "cy@example.org"); sub.Status != store.StatusConfirmed {
		t.Fatal("showing the page (GET, HEAD) unsubscribed")
	}
	// RFC 8058 one-click: a POST to the header's URL, no cookies.
	for range 2 {
		resp, body = e.post(t, path, "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click")
		if resp.StatusCode != 200 || !strings.Contains(body, "Unsubscribed") {
			t.Fatalf("one-click: %d %s", resp.StatusCode, body)
		}
	}
	if sub, _ := e.st.SubscriberByEmail(ctx, "cy@example.org"); sub.Status != store.StatusUnsubscribed {
		t.Fatalf("status %s after one-click", sub.Status)
	}
	// The page's button posts the token as a form field.
	resp, _ = e.post(t, "/unsubscribe", "application/x-www-form-urlencoded", "token="+url.QueryEscape(token))
	if resp.StatusCode != 200 {
		t.Fatalf("button: %d", resp.StatusCode)
	}
	// A confirm token cannot unsubscribe, nor can garbage.
	resp, _ = e.post(t, "/unsubscribe?token=abc.def", "application/x-www-form-urlencoded", "")
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad token: %d", resp.StatusCode)
	}
}

// TestSubscribeRateLimitIPv6Network: a client with IPv6 usually holds a
// whole /64, so the limit applies to that network, not to each address in
// it; otherwise a new address per request walks around it.
func TestSubscribeRateLimitIPv6Network(t *testing.T) {
	e := newSubscribeEnv(t)
	e.subs.Burst = 2
	e.subs.PerClient = 1.0 / 3600
	mux := http.NewServeMux()
	e.subs.Routes(mux)
	var codes []int
	for i := range 4 {
		r := httptest.NewRequest(http.MethodPost, "/subscribe", strings.NewReader(`{"email":"x@example.org"}`))
		r.Header.Set("Content-Type", "application/json")
		r.RemoteAddr = fmt.Sprintf("[2001:db8:1:2::%x]:4000", i+1)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		codes = append(codes, w.Code)
	}
	e.drain(t)
	want := []int{202, 202, 429, 429}
	if !slices.Equal(codes, want) {
		t.Fatalf("status codes %v, want %v", codes, want)
	}
	// Another network, and IPv4 addresses, have their own buckets.
	for _, addr := range []string{"[2001:db8:1:3::1]:4000", "192.0.2.1:4000", "192.0.2.2:4000"} {
		r := httptest.NewRequest(http.MethodPost, "/subscribe", strings.NewReader(`{"email":"x@example.org"}`))
		r.Header.Set("Content-Type", "application/json")
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if w.Code != http.StatusAccepted {
			t.Errorf("%s: status %d, want 202", addr, w.Code)
		}
	}
	e.drain(t)
}
