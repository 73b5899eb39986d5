package server

import (
	"context"
	"encoding/json"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/internal/design"
	"github.com/bulletin-app/bulletin/internal/smtptest"
	"github.com/bulletin-app/bulletin/internal/storetest"
	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/templates"
)

// The handlers that read what visitors send: the sign-up form and its JSON
// twin, the confirmation and unsubscribe links, X-Forwarded-For. Whatever
// a request holds, the answer is a page or JSON of the kind asked for,
// with a status that says what happened, never a 500 and never a panic.
// .ci/run runs each for a bounded number of inputs; a failure found is
// kept in testdata/fuzz and runs with every go test.

// fuzzMux is the subscription pages on a real store and newsletter, whose
// queued confirmations are never sent: the fuzzer posts thousands.
func fuzzMux(f *testing.F) (*http.ServeMux, *newsletter.Newsletter) {
	st := storetest.Open(f)
	mail := smtptest.Start(f)
	nl, err := newsletter.New(st, newsletter.Options{
		SiteTitle: "Bulletin", From: "Bulletin <news@bulletin.example>", SiteURL: "https://bulletin.example",
		Secret:  []byte("0123456789abcdef0123456789abcdef"),
		SMTP:    newsletter.SMTP{Host: mail.Host, Port: mail.Port, TLS: "none"},
		Signups: newsletter.SignupOptions{MaxQueued: 1 << 30},
	})
	if err != nil {
		f.Fatal(err)
	}
	subs, err := NewSubscriptions(nl, design.Site{Title: "Bulletin", URL: "https://bulletin.example/"}, templates.FS, nil)
	if err != nil {
		f.Fatal(err)
	}
	subs.Burst = 1 << 30
	subs.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	mux := http.NewServeMux()
	subs.Routes(mux)
	return mux, nl
}

func checkAnswer(t *testing.T, w *httptest.ResponseRecorder, wantJSON bool, allowed ...int) {
	t.Helper()
	ok := false
	for _, c := range allowed {
		ok = ok || w.Code == c
	}
	if !ok {
		t.Fatalf("status %d, want one of %v: %s", w.Code, allowed, w.Body.String())
	}
	mt, _, _ := mime.ParseMediaType(w.Header().Get("Content-Type"))
	switch {
	case wantJSON:
		var v map[string]string
		if mt != "application/json" || json.Unmarshal(w.Body.Bytes(), &v) != nil || len(v) != 1 {
			t.Fatalf("a JSON request got %q: %s", mt, w.Body.String())
		}
	case mt != "text/html" || !strings.Contains(w.Body.String(), "</html>"):
		t.Fatalf("a form got %q: %s", mt, w.Body.String())
	}
}

// FuzzSubscribe posts bodies of any kind to POST /subscribe, as a form or
// as JSON.
func FuzzSubscribe(f *testing.F) {
	mux, _ := fuzzMux(f)
	f.Add("application/x-www-form-urlencoded", "email=ann%40example.org&name=Ann")
	f.Add("application/x-www-form-urlencoded", "email=a%40b.org&website=x")
	f.Add("application/x-www-form-urlencoded", "email=%zz&name=%")
	f.Add("application/x-www-form-urlencoded", "email=a%40b.org&name=%e7")
	f.Add("application/x-www-form-urlencoded; charset=utf-8", "email="+url.QueryEscape(`"a b"@example.org`))
	f.Add("application/json", `{"email":"bob@example.org","name":"Bob"}`)
	f.Add("application/json", `{"email":["x"]}`)
	f.Add("application/json; charset=utf-8", `{"email":"a@b.org\r\nBcc: c@d.org"}`)
	f.Add("application/json", `{"email":"x@example.org","name":"`+strings.Repeat("n", 300)+`"}`)
	f.Add("text/plain", "email=x@example.org")
	f.Add("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na@b.org\r\n--x--\r\n")
	f.Fuzz(func(t *testing.T, contentType, body string) {
		r := httptest.NewRequest(http.MethodPost, "/subscribe", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		checkAnswer(t, w, isJSON(contentType), http.StatusAccepted, http.StatusBadRequest, http.StatusRequestEntityTooLarge)
	})
}

// FuzzLinks follows confirmation and unsubscribe links with any token, by
// GET and by POST, as mail scanners and visitors do.
func FuzzLinks(f *testing.F) {
	mux, nl := fuzzMux(f)
	f.Add("")
	f.Add("abc.def")
	f.Add(nl.UnsubscribeToken("ann@example.org"))
	f.Add(nl.UnsubscribeToken("ann@example.org") + "x")
	f.Add("%00%ff." + strings.Repeat("A", 2000))
	f.Fuzz(func(t *testing.T, token string) {
		q := "?token=" + url.QueryEscape(token)
		for _, req := range []*http.Request{
			httptest.NewRequest(http.MethodGet, "/confirm"+q, nil),
			httptest.NewRequest(http.MethodGet, "/unsubscribe"+q, nil),
			httptest.NewRequest(http.MethodPost, "/confirm", strings.NewReader("token="+url.QueryEscape(token))),
			httptest.NewRequest(http.MethodPost, "/unsubscribe"+q, strings.NewReader("List-Unsubscribe=One-Click")),
		} {
			if req.Method == http.MethodPost {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, req.WithContext(context.Background()))
			checkAnswer(t, w, false, http.StatusOK, http.StatusBadRequest)
		}
	})
}

// FuzzClientAddr: the address a request is counted as is the peer's, or,
// from a trusted proxy, an address X-Forwarded-For gives; never text of
// the visitor's choosing that is not an address.
func FuzzClientAddr(f *testing.F) {
	trusted := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	f.Add("192.0.2.1:80", "203.0.113.5")
	f.Add("192.0.2.1:80", "203.0.113.5, 192.0.2.9")
	f.Add("198.51.100.1:80", "203.0.113.5")
	f.Add("192.0.2.1:80", "[2001:db8::1]:443, unknown")
	f.Add("192.0.2.1:80", ",,, ,")
	f.Fuzz(func(t *testing.T, peer, xff string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = peer
		r.Header.Set("X-Forwarded-For", xff)
		got := ClientAddr(r, trusted)
		host, _, err := net.SplitHostPort(peer)
		if err != nil {
			host = peer
		}
		if got == host {
			return
		}
		if !isTrusted(host, trusted) {
			t.Fatalf("from untrusted %q, counted as %q", peer, got)
		}
		if _, err := netip.ParseAddr(got); err != nil {
			t.Fatalf("from %q with X-Forwarded-For %q, counted as %q, not an address", peer, xff, got)
		}
	})
}
