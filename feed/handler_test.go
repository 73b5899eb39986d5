package feed

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func serve(t testing.TB) (*httptest.Server, *Handler) {
	t.Helper()
	h := NewHandler(nil)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	h.Update(build(t, testSite(srv.URL+"/"), loadIssues(t)))
	return srv, h
}

// do sends a request without the transport's own gzip handling, so that
// the test sees what the server sent.
func do(t testing.TB, method, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	res, err := (&http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

func TestHandlerContentTypes(t *testing.T) {
	srv, h := serve(t)
	for path, want := range map[string]string{
		EntriesAtom:  "application/atom+xml; charset=utf-8",
		EntriesRSS:   "application/rss+xml; charset=utf-8",
		EntriesJSON:  "application/feed+json; charset=utf-8",
		IssuesAtom:   "application/atom+xml; charset=utf-8",
		IssuesRSS:    "application/rss+xml; charset=utf-8",
		IssuesJSON:   "application/feed+json; charset=utf-8",
		"/":          "text/html; charset=utf-8",
		"/issues/2/": "text/html; charset=utf-8",
	} {
		res, b := do(t, "GET", srv.URL+path, nil)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != want {
			t.Errorf("%s: %d %q, want 200 %q", path, res.StatusCode, res.Header.Get("Content-Type"), want)
		}
		d, _ := h.Source().(*Set).Document(path)
		if !bytes.Equal(b, d.Body) {
			t.Errorf("%s: body differs from the document", path)
		}
		etag := res.Header.Get("ETag")
		if !strings.HasPrefix(etag, `"`) || res.Header.Get("Last-Modified") == "" ||
			!strings.Contains(res.Header.Get("Cache-Control"), "max-age=") || res.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("%s: headers %v", path, res.Header)
		}
		if res.Header.Get("Content-Length") != "" && res.Header.Get("Content-Length") != strconv.Itoa(len(b)) {
			t.Errorf("%s: Content-Length %s for %d bytes", path, res.Header.Get("Content-Length"), len(b))
		}
	}
}

func TestHandlerConditional(t *testing.T) {
	srv, _ := serve(t)
	url := srv.URL + EntriesAtom
	res, _ := do(t, "GET", url, nil)
	etag, lm := res.Header.Get("ETag"), res.Header.Get("Last-Modified")
	mod, err := http.ParseTime(lm)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"etag", map[string]string{"If-None-Match": etag}, 304},
		{"weak etag", map[string]string{"If-None-Match": "W/" + etag}, 304},
		{"etag in list", map[string]string{"If-None-Match": `"other", ` + etag}, 304},
		{"star", map[string]string{"If-None-Match": "*"}, 304},
		{"other etag", map[string]string{"If-None-Match": `"other"`}, 200},
		{"other etag wins over date", map[string]string{"If-None-Match": `"other"`, "If-Modified-Since": lm}, 200},
		{"same date", map[string]string{"If-Modified-Since": lm}, 304},
		{"later date", map[string]string{"If-Modified-Since": mod.Add(time.Hour).Format(http.TimeFormat)}, 304},
		{"earlier date", map[string]string{"If-Modified-Since": mod.Add(-time.Second).Format(http.TimeFormat)}, 200},
		{"bad date", map[string]string{"If-Modified-Since": "yesterday"}, 200},
	}
	for _, c := range cases {
		res, b := do(t, "GET", url, c.header)
		if res.StatusCode != c.want {
			t.Errorf("%s: status %d, want %d", c.name, res.StatusCode, c.want)
		}
		if c.want == 304 && (len(b) != 0 || res.Header.Get("ETag") != etag || res.Header.Get("Cache-Control") == "") {
			t.Errorf("%s: 304 with %d bytes, headers %v", c.name, len(b), res.Header)
		}
	}
}

func TestHandlerGzip(t *testing.T) {
	srv, h := serve(t)
	d, _ := h.Source().(*Set).Document(EntriesAtom)
	plain, _ := do(t, "GET", srv.URL+EntriesAtom, nil)
	for _, ae := range []string{"gzip", "br, gzip;q=0.8", "x-gzip", "*"} {
		res, b := do(t, "GET", srv.URL+EntriesAtom, map[string]string{"Accept-Encoding": ae})
		if res.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("Accept-Encoding %q: not compressed", ae)
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(zr)
		if !bytes.Equal(got, d.Body) || len(b) >= len(d.Body) {
			t.Errorf("gzip body: %d compressed, %d plain, equal=%v", len(b), len(got), bytes.Equal(got, d.Body))
		}
		if res.Header.Get("ETag") == plain.Header.Get("ETag") {
			t.Error("gzip and plain bodies share a strong ETag")
		}
		res, _ = do(t, "GET", srv.URL+EntriesAtom, map[string]string{"Accept-Encoding": ae, "If-None-Match": res.Header.Get("ETag")})
		if res.StatusCode != 304 {
			t.Errorf("gzip revalidation: %d", res.StatusCode)
		}
	}
	for _, ae := range []string{"", "identity", "gzip;q=0", "br", "gzip; q=0.000"} {
		res, _ := do(t, "GET", srv.URL+EntriesAtom, map[string]string{"Accept-Encoding": ae})
		if res.Header.Get("Content-Encoding") != "" {
			t.Errorf("Accept-Encoding %q: got %s", ae, res.Header.Get("Content-Encoding"))
		}
	}
}

func TestHandlerMethodsAndPaths(t *testing.T) {
	srv, h := serve(t)
	get, getBody := do(t, "GET", srv.URL+EntriesRSS, nil)
	head, headBody := do(t, "HEAD", srv.URL+EntriesRSS, nil)
	if head.StatusCode != 200 || len(headBody) != 0 || head.Header.Get("ETag") != get.Header.Get("ETag") ||
		head.Header.Get("Content-Length") != strconv.Itoa(len(getBody)) {
		t.Errorf("HEAD: %d, %d bytes, headers %v", head.StatusCode, len(headBody), head.Header)
	}
	if res, _ := do(t, "POST", srv.URL+EntriesRSS, nil); res.StatusCode != 405 || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d Allow=%q", res.StatusCode, res.Header.Get("Allow"))
	}
	if res, _ := do(t, "GET", srv.URL+"/nope.xml", nil); res.StatusCode != 404 {
		t.Errorf("unknown path: %d", res.StatusCode)
	}
	if res, _ := do(t, "GET", srv.URL+"/issues/2", nil); res.StatusCode != 301 || res.Header.Get("Location") != "/issues/2/" {
		t.Errorf("/issues/2: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := do(t, "GET", srv.URL+"/issues/9/", nil); res.StatusCode != 404 {
		t.Errorf("missing issue: %d", res.StatusCode)
	}

	// A publish swaps the documents; the old ETag no longer matches.
	issues := loadIssues(t)
	issues[2].Entries[0].Summary = []string{"Changed."}
	issues[2].Entries[0].UpdatedAt = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	h.Update(build(t, testSite(srv.URL+"/"), issues))
	res, _ := do(t, "GET", srv.URL+EntriesRSS, map[string]string{"If-None-Match": get.Header.Get("ETag")})
	if res.StatusCode != 200 || res.Header.Get("ETag") == get.Header.Get("ETag") {
		t.Errorf("after Update: %d, ETag %s", res.StatusCode, res.Header.Get("ETag"))
	}

	empty := httptest.NewServer(NewHandler(nil))
	defer empty.Close()
	if res, _ := do(t, "GET", empty.URL+EntriesAtom, nil); res.StatusCode != 503 {
		t.Errorf("before the first publish: %d", res.StatusCode)
	}
}
