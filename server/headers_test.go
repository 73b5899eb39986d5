package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/internal/metrics"
)

func styleHash(css string) string {
	sum := sha256.Sum256([]byte(css))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

const twoStyles = "<!DOCTYPE html><html><head><style>\nbody { color: red; }\n</style><STYLE media=print>p{}</STYLE></head><body><p>hi</p></body></html>"

func secureTestServer(t *testing.T, opts SecurityOptions, tls bool) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, twoStyles[:40]) // in pieces, as templates write
		io.WriteString(w, twoStyles[40:])
	})
	mux.HandleFunc("GET /gzipped", func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		io.WriteString(zw, twoStyles)
		zw.Close()
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(b.Bytes())
	})
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<style>a{}</style>"+strings.Repeat("<p>x</p>", maxHashedPage/8+10))
	})
	mux.HandleFunc("GET /sniffed", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<html><style>b{}</style>")
	})
	mux.HandleFunc("GET /json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"a":1}`)
	})
	mux.HandleFunc("GET /cached", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotModified)
	})
	mux.HandleFunc("GET /own-policy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<style>c{}</style>")
	})
	mux.HandleFunc("GET /panics", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	h := withLogging(Secure(mux, opts), slog.New(slog.DiscardHandler))
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv
}

// TestSecureHeadersOnEveryResponse: every response, whatever made it (a
// page, JSON, the mux's 404 and 405, a 500 after a panic), tells the
// browser not to sniff, frame or run anything; a page's own style
// elements are allowed by hash, and nothing else.
func TestSecureHeadersOnEveryResponse(t *testing.T) {
	srv := secureTestServer(t, SecurityOptions{}, false)
	get := func(path string, hdr ...string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		tr := &http.Transport{DisableCompression: true}
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	for _, path := range []string{"/page", "/gzipped", "/big", "/sniffed", "/json", "/nowhere", "/panics", "/cached", "/own-policy"} {
		resp, _ := get(path)
		h := resp.Header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s (%d): headers %v", path, resp.StatusCode, h)
		}
		csp := h.Get("Content-Security-Policy")
		switch path {
		case "/cached":
			if csp != "" {
				t.Errorf("a 304 carries a policy (%q): the browser would put it on the page it keeps", csp)
			}
		case "/own-policy":
			if csp != "default-src 'self'" {
				t.Errorf("a handler's own policy was replaced: %q", csp)
			}
		default:
			if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("%s (%d): policy %q", path, resp.StatusCode, csp)
			}
			if strings.Contains(csp, "unsafe") || strings.Contains(csp, "script-src") {
				t.Errorf("%s: policy %q lets something run", path, csp)
			}
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain http", path)
		}
	}
	for _, path := range []string{"/page", "/gzipped"} {
		resp, body := get(path, "Accept-Encoding", "gzip")
		csp := resp.Header.Get("Content-Security-Policy")
		want := "style-src " + styleHash("\nbody { color: red; }\n") + " " + styleHash("p{}") + ";"
		if !strings.Contains(csp, want) {
			t.Errorf("%s: policy %q; want %q", path, csp, want)
		}
		if path == "/page" && body != twoStyles {
			t.Errorf("%s: body changed on the way: %q", path, body)
		}
	}
	if resp, body := get("/big"); len(body) != len("<style>a{}</style>")+8*(maxHashedPage/8+10) ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), styleHash("a{}")) {
		t.Errorf("a page over %d bytes: %d bytes, policy %q", maxHashedPage, len(body), resp.Header.Get("Content-Security-Policy"))
	}
	if resp, _ := get("/sniffed"); !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), styleHash("b{}")) {
		t.Errorf("a page without a Content-Type: %v", resp.Header)
	}
	if resp, _ := get("/panics"); resp.StatusCode != 500 {
		t.Errorf("panic: %d", resp.StatusCode)
	}
}

func TestHSTSOnlyOverHTTPS(t *testing.T) {
	for _, c := range []struct {
		name      string
		opts      SecurityOptions
		tls, want bool
	}{
		{"plain http", SecurityOptions{}, false, false},
		{"https site behind a proxy", SecurityOptions{HTTPS: true}, false, true},
		{"TLS", SecurityOptions{}, true, true},
	} {
		srv := secureTestServer(t, c.opts, c.tls)
		resp, err := srv.Client().Get(srv.URL + "/json")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security") != ""; got != c.want {
			t.Errorf("%s: HSTS %q", c.name, resp.Header.Get("Strict-Transport-Security"))
		}
	}
}

// TestMetricsNeedTheirToken: /metrics behind a bearer token answers 401
// without it, or with another, and the figures with it.
func TestMetricsNeedTheirToken(t *testing.T) {
	st := newOpsEnv(t).st
	mux := http.NewServeMux()
	MountHealth(mux, st, nil)
	MountMetrics(mux, st, &metrics.Registry{}, "s3cret-token-0123456789", nil)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	for _, c := range []struct {
		auth string
		want int
	}{{"", 401}, {"Bearer wrong", 401}, {"Basic czNjcmV0", 401}, {"Bearer s3cret-token-012345678", 401}, {"Bearer s3cret-token-0123456789", 200}} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want || strings.Contains(string(b), "bulletin_subscribers") != (c.want == 200) {
			t.Errorf("Authorization %q: %d %.80q", c.auth, resp.StatusCode, b)
		}
	}
	if resp, err := http.Get(srv.URL + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("/healthz without a token: %v %v", resp, err)
	}
}

func TestClientAddr(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, c := range []struct {
		peer string
		xff  []string
		want string
	}{
		{"192.0.2.7:1234", nil, "192.0.2.7"},
		// Not from a proxy: the header is the visitor's own word.
		{"192.0.2.7:1234", []string{"203.0.113.9"}, "192.0.2.7"},
		// From a proxy: the rightmost address that is not one of ours.
		{"10.0.0.2:80", []string{"203.0.113.9"}, "203.0.113.9"},
		{"10.0.0.2:80", []string{"198.51.100.1, 203.0.113.9, 10.0.0.3"}, "203.0.113.9"},
		{"10.0.0.2:80", []string{"198.51.100.1", "203.0.113.9, 10.0.0.3"}, "203.0.113.9"},
		{"[::1]:80", []string{"2001:db8::5"}, "2001:db8::5"},
		{"10.0.0.2:80", []string{"203.0.113.9:5555"}, "203.0.113.9"},
		// A hop that is no address: the proxy that passed it on.
		{"10.0.0.2:80", []string{"203.0.113.9, unknown, 10.0.0.3"}, "10.0.0.3"},
		// Proxies all the way: the farthest one.
		{"10.0.0.2:80", []string{"10.0.0.4, 10.0.0.3"}, "10.0.0.4"},
		{"10.0.0.2:80", nil, "10.0.0.2"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = c.peer
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := ClientAddr(r, proxies); got != c.want {
			t.Errorf("from %s with X-Forwarded-For %q: %s, want %s", c.peer, c.xff, got, c.want)
		}
	}
}

// TestRateLimitBehindAProxy: behind a reverse proxy every visitor shared
// the proxy's bucket, so one visitor's sign-ups used up everyone's; and a
// visitor who is not behind the proxy cannot pick a new address for each
// request by writing X-Forwarded-For. Both over loopback, through the
// real listener.
func TestRateLimitBehindAProxy(t *testing.T) {
	e := newSubscribeEnv(t)
	e.subs.Burst = 2
	e.subs.PerClient = 1.0 / 3600
	post := func(xff string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/subscribe", strings.NewReader(`{"email":"x@example.org"}`))
		req.Header.Set("Content-Type", "application/json")
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// No proxy is trusted: a forged header changes nothing.
	var codes []int
	for i := range 4 {
		codes = append(codes, post(fmt.Sprintf("203.0.113.%d", i+1)))
	}
	if fmt.Sprint(codes) != "[202 202 429 429]" {
		t.Errorf("forged X-Forwarded-For from an untrusted peer: %v, want [202 202 429 429]", codes)
	}
	// The proxy on 127.0.0.1 is trusted: each visitor has a bucket.
	e.subs.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	codes = nil
	for _, visitor := range []string{"198.51.100.1", "198.51.100.1", "198.51.100.1", "198.51.100.2", "198.51.100.2"} {
		codes = append(codes, post(visitor))
	}
	if fmt.Sprint(codes) != "[202 202 429 202 202]" {
		t.Errorf("two visitors behind the proxy: %v, want [202 202 429 202 202]", codes)
	}
	e.drain(t)
}
