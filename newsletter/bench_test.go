package newsletter

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/bulletin-app/bulletin/internal/mailtest"
	"github.com/bulletin-app/bulletin/internal/smtptest"
	"github.com/bulletin-app/bulletin/internal/storetest"
	"github.com/bulletin-app/bulletin/internal/testtool"
	"github.com/bulletin-app/bulletin/source"
	"github.com/bulletin-app/bulletin/store"
)

const benchConns = 4

var benchSizes = []int{2000, 10000}

// peakHeap samples the heap in use (the same quantity as
// runtime.MemStats.HeapInuse) every millisecond until stop is called and
// returns the highest value seen, in MiB. It reads runtime/metrics, which
// does not stop the world as ReadMemStats does, so sampling this often does
// not slow down what is measured.
func peakHeap() (stop func() float64) {
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
	}
	var peak atomic.Uint64
	read := func() {
		metrics.Read(samples)
		if v := samples[0].Value.Uint64() + samples[1].Value.Uint64(); v > peak.Load() {
			peak.Store(v)
		}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() float64 {
		close(done)
		wg.Wait()
		read()
		return float64(peak.Load()) / (1 << 20)
	}
}

// benchEnv is a store of subs confirmed subscribers and an SMTP sink that
// takes messages without keeping them.
type benchEnv struct {
	st     *store.Store
	n      *Newsletter
	emails []string
}

// benchEntries is the size of the issue the send benchmarks send: a
// realistic one (a 2-entry issue makes 4 KB messages, whose encoding costs
// little, and hid how slow writing a 30 KB one was).
const benchEntries = 20

// newBenchEnv sends a 20-entry issue to the in-process go-smtp server of
// smtptest, or to the sink at host:port when port is not 0.
func newBenchEnv(b *testing.B, subs int, host string, port int) *benchEnv {
	st := openStoreWithEntries(b, benchEntries)
	emails := addSubscribers(b, st, subs)
	if port == 0 {
		srv := smtptest.Start(b)
		srv.SetDiscard(true)
		host, port = srv.Host, srv.Port
	}
	o := testOptions(b)
	o.OutboxDir = ""
	o.SMTP = SMTP{Host: host, Port: port, TLS: "none", Timeout: 5 * time.Second}
	o.Concurrency = benchConns
	return &benchEnv{st: st, n: newTestNewsletter(b, st, o), emails: emails}
}

// startSMTPSink runs Postfix's smtp-sink (Debian package postfix), a sink
// in C in its own process, so that the server's work is not done by the
// benchmark's own runtime.
func startSMTPSink(b *testing.B) (host string, port int) {
	bin := testtool.Need(b, "smtp-sink")[0]
	port = mailtest.FreePort(b)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	// -u: the user to run as when started as root; 1024: listen backlog.
	cmd := exec.Command(bin, "-u", "nobody", addr, "1024")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "127.0.0.1", port
		}
		if time.Now().After(deadline) {
			b.Fatal("smtp-sink did not start listening")
		}
	}
}

// send runs one whole send of issue 1 to everyone and returns how long it
// took and the peak heap meanwhile.
func (e *benchEnv) send(b *testing.B) (time.Duration, float64) {
	ctx := context.Background()
	b.StopTimer()
	if err := e.st.ForgetDeliveries(ctx, 1); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	stop := peakHeap()
	b.StartTimer()
	start := time.Now()
	sum, err := e.n.Send(ctx, SendRequest{})
	elapsed := time.Since(start)
	peak := stop()
	if err != nil || sum.Sent != len(e.emails) {
		b.Fatalf("%+v %v", sum, err)
	}
	return elapsed, peak
}

// bareLoop sends the same issue as go-mail alone would: one message per
// recipient, each built before the clock starts (the same personalized
// message Send makes, names included, so that sizes match), sent with
// SendWithSMTPClient over benchConns connections of a client set up as
// Send's is (no NOOP, no RSET), with no ledger.
func (e *benchEnv) bareLoop(b *testing.B) (time.Duration, float64) {
	ctx := context.Background()
	b.StopTimer()
	is, err := e.st.Issue(ctx, 1)
	if err != nil {
		b.Fatal(err)
	}
	r, err := e.n.renderIssue(mailing{Issue: is}, false)
	if err != nil {
		b.Fatal(err)
	}
	client, err := e.n.newSMTPClient()
	if err != nil {
		b.Fatal(err)
	}
	msgs := make([]*gomail.Msg, len(e.emails))
	for i, addr := range e.emails {
		o, err := e.n.personalMsg(r, addr, subscriberName(i), fmt.Sprintf("bare.%d@bulletin.example", i))
		if err != nil {
			b.Fatal(err)
		}
		msgs[i] = goMailMsg(o, "")
	}
	runtime.GC()
	stop := peakHeap()
	b.StartTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range benchConns {
		wg.Go(func() {
			c, err := client.DialToSMTPClientWithContext(ctx)
			if err != nil {
				b.Error(err)
				return
			}
			defer client.CloseWithSMTPClient(c)
			for i := w; i < len(msgs); i += benchConns {
				if err := client.SendWithSMTPClient(c, msgs[i]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	return elapsed, stop()
}

// sample writes one subscriber's message as the send writes it, and
// returns its path and size.
func (e *benchEnv) sample(b *testing.B) (string, int) {
	is, err := e.st.Issue(context.Background(), 1)
	if err != nil {
		b.Fatal(err)
	}
	r, err := e.n.renderIssue(mailing{Issue: is}, false)
	if err != nil {
		b.Fatal(err)
	}
	msg, err := e.n.personalMsg(r, e.emails[0], subscriberName(0), "sample.1@bulletin.example")
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := e.n.writeMsg(&buf, msg); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "sample.eml")
	// smtp-source adds CRLF to each line itself.
	if err := os.WriteFile(path, bytes.ReplaceAll(buf.Bytes(), []byte("\r\n"), []byte("\n")), 0o644); err != nil {
		b.Fatal(err)
	}
	return path, buf.Len()
}

// smtpSource sends len(e.emails) copies of the sample message with
// Postfix's smtp-source, a sender in C, over benchConns connections that
// each send one message after another: the rate of the wire and the sink
// alone.
func (e *benchEnv) smtpSource(b *testing.B, bin, sample, host string, port int) time.Duration {
	b.StopTimer()
	args := []string{"-s", fmt.Sprint(benchConns), "-m", fmt.Sprint(len(e.emails)), "-d", "-F", sample,
		"-f", "news@bulletin.example", "-t", "reader@example.org", fmt.Sprintf("%s:%d", host, port)}
	b.StartTimer()
	start := time.Now()
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		b.Fatalf("smtp-source: %v: %s", err, out)
	}
	return time.Since(start)
}

// BenchmarkSend sends an issue to all confirmed subscribers through an
// in-process SMTP sink: the whole path, ledger included.
func BenchmarkSend(b *testing.B) { benchRate(b, (*benchEnv).send) }

// BenchmarkBareLoop is the baseline alone: see bareLoop.
func BenchmarkBareLoop(b *testing.B) { benchRate(b, (*benchEnv).bareLoop) }

// benchRate reports messages per second and peak heap of run for each
// list size.
func benchRate(b *testing.B, run func(*benchEnv, *testing.B) (time.Duration, float64)) {
	for _, subs := range benchSizes {
		b.Run(fmt.Sprintf("subscribers=%d", subs), func(b *testing.B) {
			e := newBenchEnv(b, subs, "", 0)
			var elapsed time.Duration
			var peak float64
			for b.Loop() {
				d, p := run(e, b)
				elapsed += d
				peak = max(peak, p)
			}
			b.ReportMetric(float64(subs*b.N)/elapsed.Seconds(), "msgs/s")
			b.ReportMetric(peak, "peak-heap-MiB")
		})
	}
}

// BenchmarkSendVsBareLoop runs a send and the bare loop back to back to the
// same sink, and reports their ratio. On a shared, noisy machine a ratio
// taken seconds apart is worth more than one of two medians taken a minute
// apart.
func BenchmarkSendVsBareLoop(b *testing.B) {
	benchSendVsBareLoop(b, func(*testing.B) (string, int) { return "", 0 })
}

// BenchmarkSendVsBareLoopSMTPSink is BenchmarkSendVsBareLoop with
// Postfix's smtp-sink as the server, and Postfix's smtp-source sending the
// same message to it as a third part of each round.
func BenchmarkSendVsBareLoopSMTPSink(b *testing.B) {
	benchSendVsBareLoop(b, startSMTPSink)
}

func benchSendVsBareLoop(b *testing.B, sink func(*testing.B) (string, int)) {
	for _, subs := range benchSizes {
		b.Run(fmt.Sprintf("subscribers=%d", subs), func(b *testing.B) {
			host, port := sink(b)
			e := newBenchEnv(b, subs, host, port)
			var source string
			if port != 0 {
				source = testtool.Need(b, "smtp-source")[0]
			}
			sample, size := e.sample(b)
			var sendTime, bareTime, sourceTime time.Duration
			var sendPeak, barePeak float64
			for b.Loop() {
				d, p := e.send(b)
				sendTime += d
				sendPeak = max(sendPeak, p)
				d, p = e.bareLoop(b)
				bareTime += d
				barePeak = max(barePeak, p)
				if source != "" {
					sourceTime += e.smtpSource(b, source, sample, host, port)
				}
			}
			msgs := float64(subs * b.N)
			b.ReportMetric(float64(size)/1000, "msg-KB")
			b.ReportMetric(msgs/sendTime.Seconds(), "send-msgs/s")
			b.ReportMetric(msgs/bareTime.Seconds(), "bare-msgs/s")
			b.ReportMetric(bareTime.Seconds()/sendTime.Seconds(), "ratio")
			if source != "" {
				b.ReportMetric(msgs/sourceTime.Seconds(), "smtp-source-msgs/s")
				b.ReportMetric(sourceTime.Seconds()/sendTime.Seconds(), "ratio-smtp-source")
			}
			b.ReportMetric(sendPeak, "send-peak-heap-MiB")
			b.ReportMetric(barePeak, "bare-peak-heap-MiB")
		})
	}
}

// openStoreWithEntries opens a store with one issue of n entries of about
// the length the summarizer writes (three sentences, 65 words or so).
func openStoreWithEntries(b testing.TB, n int) *store.Store {
	b.Helper()
	ctx := context.Background()
	st := storetest.Open(b)
	summary := []string{
		"The regional grant for home heat pumps ran out three weeks after the new round opened, as applications doubled compared with last year.",
		"About 2,400 households applied for the grant, which covers up to 40 percent of the cost of replacing an oil or gas boiler.",
		"The agency said it would ask the government for more money before the winter.",
	}
	for i := range n {
		url := fmt.Sprintf("https://news.example.org/2026/11/story-%d-with-a-longer-slug-as-news-sites-write-them", i)
		if _, err := st.SaveArticle(ctx, source.Article{Key: url, URL: url, Title: fmt.Sprintf("Story %d: heat pump grants run out as applications double", i),
			Source: "Example News", Author: "A. Reporter", Text: strings.Join(summary, " "), Published: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}, false); err != nil {
			b.Fatal(err)
		}
	}
	arts, err := st.ArticlesToSummarize(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for _, a := range arts {
		if err := st.SaveEntry(ctx, store.Entry{ArticleID: a.ID, ContentHash: a.ContentHash, Summary: summary, Teaser: summary[0], Method: "extractive"}); err != nil {
			b.Fatal(err)
		}
	}
	es, err := st.UnissuedEntries(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var ids []int64
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	if _, err := st.CreateIssue(ctx, func(int) string { return "Bulletin #1, 2 November 2026" }, ids); err != nil {
		b.Fatal(err)
	}
	return st
}

// BenchmarkSendDKIM sends a 20-entry issue without DKIM, then signed with
// an RSA-2048 and an Ed25519 key, back to back to the same in-process
// sink, and reports each rate and its ratio to the unsigned send: what
// signing every message's finished bytes costs.
func BenchmarkSendDKIM(b *testing.B) {
	const subs = 2000
	keys := []mailtest.Key{mailtest.RSAKey(b), mailtest.Ed25519Key(b)}
	st := openStoreWithEntries(b, 20)
	addSubscribers(b, st, subs)
	srv := smtptest.Start(b)
	srv.SetDiscard(true)
	var envs []*benchEnv
	for i := range 1 + len(keys) {
		o := testOptions(b)
		o.OutboxDir = ""
		o.SMTP = SMTP{Host: srv.Host, Port: srv.Port, TLS: "none", Timeout: 5 * time.Second}
		o.Concurrency = benchConns
		if i > 0 {
			o.DKIM = DKIM{KeyFile: keys[i-1].File, Selector: "bench"}
		}
		envs = append(envs, &benchEnv{st: st, n: newTestNewsletter(b, st, o), emails: make([]string, subs)})
	}
	times := make([]time.Duration, len(envs))
	for b.Loop() {
		for i, e := range envs {
			d, _ := e.send(b)
			times[i] += d
		}
	}
	msgs := float64(subs * b.N)
	b.ReportMetric(msgs/times[0].Seconds(), "plain-msgs/s")
	for i, k := range keys {
		b.ReportMetric(msgs/times[i+1].Seconds(), k.Name+"-msgs/s")
		b.ReportMetric(times[0].Seconds()/times[i+1].Seconds(), k.Name+"-ratio")
	}
}
