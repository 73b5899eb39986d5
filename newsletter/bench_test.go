package newsletter

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/bulletin-app/bulletin/internal/smtptest"
)

const benchConns = 4

// peakHeap samples the heap in use until stop is called and returns the
// highest value seen, in MiB.
func peakHeap() (stop func() float64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	return func() float64 {
		close(done)
		wg.Wait()
		return float64(peak.Load()) / (1 << 20)
	}
}

// BenchmarkSend sends an issue to all confirmed subscribers through an
// in-process SMTP sink: the whole path, ledger included.
func BenchmarkSend(b *testing.B) {
	for _, subs := range []int{2000, 10000} {
		b.Run(fmt.Sprintf("subscribers=%d", subs), func(b *testing.B) {
			ctx := context.Background()
			st := openStore(b)
			addSubscribers(b, st, subs)
			srv := smtptest.Start(b)
			srv.SetDiscard(true)
			o := smtpOptions(b, srv)
			o.Concurrency = benchConns
			n := newTestNewsletter(b, st, o)
			var elapsed time.Duration
			var peak float64
			for b.Loop() {
				b.StopTimer()
				if err := st.ForgetDeliveries(ctx, 1); err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				stop := peakHeap()
				b.StartTimer()
				start := time.Now()
				sum, err := n.Send(ctx, SendRequest{})
				elapsed += time.Since(start)
				peak = max(peak, stop())
				if err != nil || sum.Sent != subs {
					b.Fatalf("%+v %v", sum, err)
				}
			}
			b.ReportMetric(float64(subs*b.N)/elapsed.Seconds(), "msgs/s")
			b.ReportMetric(peak, "peak-heap-MiB")
		})
	}
}

// BenchmarkBareLoop is the baseline: one pre-rendered message per
// recipient through go-mail over the same number of connections, with no
// ledger, personalization or rate limit.
func BenchmarkBareLoop(b *testing.B) {
	for _, subs := range []int{2000, 10000} {
		b.Run(fmt.Sprintf("subscribers=%d", subs), func(b *testing.B) {
			ctx := context.Background()
			st := openStore(b)
			emails := addSubscribers(b, st, subs)
			srv := smtptest.Start(b)
			srv.SetDiscard(true)
			n := newTestNewsletter(b, st, smtpOptions(b, srv))
			is, _ := st.Issue(ctx, 1)
			r, err := n.renderIssue(is, false)
			if err != nil {
				b.Fatal(err)
			}
			client, err := n.newSMTPClient()
			if err != nil {
				b.Fatal(err)
			}
			// Pre-render: one built message per recipient, made before the
			// clock starts.
			msgs := make([]*gomail.Msg, subs)
			for i, e := range emails {
				if msgs[i], err = n.personalMsg(r, e, "", fmt.Sprintf("bare.%d@bulletin.example", i)); err != nil {
					b.Fatal(err)
				}
			}
			var elapsed time.Duration
			var peak float64
			for b.Loop() {
				runtime.GC()
				stop := peakHeap()
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
						for i := w; i < subs; i += benchConns {
							if err := client.SendWithSMTPClient(c, msgs[i]); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				elapsed += time.Since(start)
				peak = max(peak, stop())
			}
			b.ReportMetric(float64(subs*b.N)/elapsed.Seconds(), "msgs/s")
			b.ReportMetric(peak, "peak-heap-MiB")
		})
	}
}
