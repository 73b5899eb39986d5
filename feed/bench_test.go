package feed

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// benchServers serves the same rendered documents twice: from memory by
// Handler, and from disk (written by WriteDir) by http.FileServer, the
// baseline.
func benchServers(tb testing.TB) (handler, files *httptest.Server, set *Set) {
	site := testSite("https://news.example.org/")
	set = build(tb, site, manyIssues(30)) // 60 entries: a full current feed of 50
	dir := tb.TempDir()
	if err := set.WriteDir(dir); err != nil {
		tb.Fatal(err)
	}
	handler = httptest.NewServer(NewHandler(set))
	files = httptest.NewServer(http.FileServer(http.Dir(dir)))
	tb.Cleanup(handler.Close)
	tb.Cleanup(files.Close)
	return handler, files, set
}

// BenchmarkServeFeed measures requests per second for the current Atom
// feed over real loopback connections with keep-alive, from concurrent
// clients, for Handler and for http.FileServer on the same bytes:
// full GETs, then conditional GETs (If-None-Match for Handler; FileServer
// sends no ETag, so If-Modified-Since for it).
func BenchmarkServeFeed(b *testing.B) {
	handler, files, set := benchServers(b)
	d, _ := set.Document(EntriesAtom)
	tr := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	lm := d.Modified.Format(http.TimeFormat)
	for _, c := range []struct {
		name, url string
		header    http.Header
		status    int
	}{
		{"full/handler", handler.URL + EntriesAtom, nil, 200},
		{"full/fileserver", files.URL + EntriesAtom, nil, 200},
		{"conditional/handler", handler.URL + EntriesAtom, http.Header{"If-None-Match": {d.ETag}}, 304},
		{"conditional/handler-ims", handler.URL + EntriesAtom, http.Header{"If-Modified-Since": {lm}}, 304},
		{"conditional/fileserver", files.URL + EntriesAtom, http.Header{"If-Modified-Since": {lm}}, 304},
	} {
		b.Run(c.name, func(b *testing.B) {
			if c.status == 200 {
				b.SetBytes(int64(len(d.Body)))
			}
			b.SetParallelism(4)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("GET", c.url, nil)
					for k, v := range c.header {
						req.Header[k] = v
					}
					res, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					n, _ := io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != c.status || (c.status == 200 && n != int64(len(d.Body))) {
						b.Errorf("status %d, %d bytes", res.StatusCode, n)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

// TestWrk runs Debian's wrk against both servers, for docs/benchmarks.md.
// It measures rather than checks, so it runs only when asked:
// BULLETIN_WRK=1 go test ./feed -run TestWrk -v
func TestWrk(t *testing.T) {
	if os.Getenv("BULLETIN_WRK") != "1" {
		t.Skip("a measurement, not a check: set BULLETIN_WRK=1 to run it")
	}
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		t.Fatal("wrk is not installed (apt-get install wrk)")
	}
	handler, files, set := benchServers(t)
	d, _ := set.Document(EntriesAtom)
	lm := d.Modified.Format(http.TimeFormat)
	cases := []struct{ name, url, header string }{
		{"full/handler", handler.URL + EntriesAtom, ""},
		{"full/fileserver", files.URL + EntriesAtom, ""},
		{"conditional/handler", handler.URL + EntriesAtom, "If-None-Match: " + d.ETag},
		{"conditional/fileserver", files.URL + EntriesAtom, "If-Modified-Since: " + lm},
	}
	// Rounds alternate the cases so that the machine's load spreads over
	// all of them; the median of the rounds is reported.
	rates := make([][]float64, len(cases))
	for round := 0; round < 5; round++ {
		for i, c := range cases {
			args := []string{"-t", "2", "-c", "32", "-d", "3s"}
			if c.header != "" {
				args = append(args, "-H", c.header)
			}
			out, err := exec.Command(wrk, append(args, c.url)...).CombinedOutput()
			if err != nil {
				t.Fatalf("wrk: %v\n%s", err, out)
			}
			var rate float64
			for _, line := range strings.Split(string(out), "\n") {
				if f := strings.Fields(line); len(f) == 2 && f[0] == "Requests/sec:" {
					rate, _ = strconv.ParseFloat(f[1], 64)
				}
			}
			if rate == 0 {
				t.Fatalf("no rate in wrk output:\n%s", out)
			}
			rates[i] = append(rates[i], rate)
		}
	}
	med := make([]float64, len(cases))
	for i, c := range cases {
		sort.Float64s(rates[i])
		med[i] = rates[i][len(rates[i])/2]
		t.Logf("%-24s median %8.0f req/s  rounds %.0f", c.name, med[i], rates[i])
	}
	t.Logf("full: handler/fileserver %.2f; conditional: handler/fileserver %.2f; handler conditional/full %.2f",
		med[0]/med[1], med[2]/med[3], med[2]/med[0])
}

// BenchmarkServeFeedPaired sends each client's requests to both servers
// in turn, so that a noisy, shared machine slows both alike, and reports
// their rates and the ratio handler/fileserver from the summed latencies.
func BenchmarkServeFeedPaired(b *testing.B) {
	handler, files, set := benchServers(b)
	d, _ := set.Document(EntriesAtom)
	lm := d.Modified.Format(http.TimeFormat)
	tr := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	for _, c := range []struct {
		name            string
		handlerH, fileH http.Header
		status          int
	}{
		{"full", nil, nil, 200},
		{"conditional", http.Header{"If-None-Match": {d.ETag}}, http.Header{"If-Modified-Since": {lm}}, 304},
	} {
		b.Run(c.name, func(b *testing.B) {
			var spent [2]atomic.Int64
			get := func(i int, url string, h http.Header) bool {
				req, _ := http.NewRequest("GET", url, nil)
				for k, v := range h {
					req.Header[k] = v
				}
				start := time.Now()
				res, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return false
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				spent[i].Add(int64(time.Since(start)))
				if res.StatusCode != c.status {
					b.Errorf("status %d", res.StatusCode)
					return false
				}
				return true
			}
			b.SetParallelism(2)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				first := 0
				for pb.Next() {
					order := [2]int{first, 1 - first}
					first = 1 - first
					for _, i := range order {
						url, h := handler.URL+EntriesAtom, c.handlerH
						if i == 1 {
							url, h = files.URL+EntriesAtom, c.fileH
						}
						if !get(i, url, h) {
							return
						}
					}
				}
			})
			n := float64(b.N)
			// Each server's rate as if the in-flight clients had it alone.
			conc := float64(2 * runtime.GOMAXPROCS(0))
			hr := n * conc / time.Duration(spent[0].Load()).Seconds()
			fr := n * conc / time.Duration(spent[1].Load()).Seconds()
			b.ReportMetric(hr, "handler-req/s")
			b.ReportMetric(fr, "fileserver-req/s")
			b.ReportMetric(hr/fr, "ratio")
		})
	}
}
