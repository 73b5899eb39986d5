package bulletin

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// bigFeed is an RSS feed of about size bytes of small items, newest first.
func bigFeed(size int) (body []byte, items int) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Flood</title><link>https://flood.example/</link>` + "\n")
	for b.Len() < size-200 {
		items++
		fmt.Fprintf(&b, "<item><title>Story %d</title><link>https://flood.example/%d</link><description>x</description></item>\n", items, items)
	}
	b.WriteString("</channel></rss>\n")
	return b.Bytes(), items
}

func serveBytes(t testing.TB, contentType string, body []byte) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// collectChildEnv names the config a child process collects with.
const collectChildEnv = "BULLETIN_BENCH_COLLECT_CONFIG"

// BenchmarkCollect collects one RSS feed of small items, served on
// loopback, into a fresh SQLite store, in a child process (this test
// binary again, running TestCollectChild), so that the peak resident
// memory the kernel reports for it is that collect's alone. It reports the
// child's wall time (ns/op), its peak RSS and the articles it collected.
// The 10 KiB feed gives the child's own baseline; the 10 MiB one, of about
// 100,000 items, is the flood a hostile feed can send within
// fetch.max_bytes.
func BenchmarkCollect(b *testing.B) {
	for _, size := range []int{10 << 10, 10 << 20} {
		body, items := bigFeed(size)
		url := serveBytes(b, "application/rss+xml", body)
		b.Run(fmt.Sprintf("feed=%dKiB/items=%d", size>>10, items), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				dir := b.TempDir()
				cfg := filepath.Join(dir, "config.yaml")
				os.WriteFile(cfg, []byte("sources:\n  - name: flood\n    feed: "+url+"/feed.xml\n    full_text: never\n"+
					"fetch:\n  allow_networks: [127.0.0.1/32]\n"), 0o644)
				cmd := exec.Command(os.Args[0], "-test.run=^TestCollectChild$", "-test.count=1")
				cmd.Env = append(os.Environ(), collectChildEnv+"="+cfg)
				cmd.Dir = dir
				b.StartTimer()
				out, err := cmd.Output()
				b.StopTimer()
				if err != nil {
					b.Fatalf("child: %v\n%s", err, out)
				}
				ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
				b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MiB")
				var found int
				_, line, _ := strings.Cut(string(out), "collected ")
				if _, err := fmt.Sscanf(line, "%d", &found); err != nil {
					b.Fatalf("child said %q: %v", out, err)
				}
				b.ReportMetric(float64(found), "articles")
				b.StartTimer()
			}
		})
	}
}

// TestCollectChild is the child process of BenchmarkCollect; it
// does nothing in a normal test run.
func TestCollectChild(t *testing.T) {
	cfgPath := os.Getenv(collectChildEnv)
	if cfgPath == "" {
		t.Skip("run by BenchmarkCollect")
	}
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	app, err := Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	rep, err := app.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("collected %d\n", rep.Found)
}
