package schedule

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/clocktest"

	"github.com/bulletin-app/bulletin/internal/storetest"
)

// TestCatchUpDecidedOnceByReplicas: a fire time passes while every replica
// is down; two replicas then start together on one database and both see
// the missed run. It is made up once between them, and their own later
// fire times run once too.
func TestCatchUpDecidedOnceByReplicas(t *testing.T) {
	path := storetest.URL(t)
	day := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, time.UTC) }
	var log runLog
	opts := Options{Location: time.UTC, CatchUpWindow: 12 * time.Hour}
	// Up before 07:00, then down.
	clk := clocktest.New(day(6, 0), day(6, 50))
	simulate(t, openStore(t, path, clk), clk, []JobSpec{{Name: "issue", Spec: "0 7,8 * * *", Run: log.job("issue", clk)}}, opts)

	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		clk := clocktest.New(day(7, 20), day(8, 30))
		st := openStore(t, path, clk)
		s, err := New(st, []JobSpec{{Name: "issue", Spec: "0 7,8 * * *", Run: log.job("issue", clk)}}, opts)
		if err != nil {
			t.Fatal(err)
		}
		s.clock = clk
		clk.SetSettle(s.inflight.Wait)
		wg.Go(func() { errs[i] = s.Run(context.Background()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i+1, err)
		}
	}
	runs := log.get("issue")
	if len(runs) != 2 || !runs[0].Equal(day(7, 20)) || !runs[1].Equal(day(8, 0)) {
		t.Errorf("runs at %v; want the 07:00 run made up once at 07:20 and the 08:00 one once", runs)
	}
}

// TestFireRunsOnceWhenReplicasReachItTogether: two replicas whose clocks
// reach a fire time at the same moment run it exactly once between them,
// time after time. When the fire was claimed under the lease, the replica
// that found the lease taken settled the fire for the one holding it,
// which then found it done: neither ran it.
func TestFireRunsOnceWhenReplicasReachItTogether(t *testing.T) {
	day := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, time.UTC) }
	opts := Options{Location: time.UTC, CatchUpWindow: 12 * time.Hour}
	for round := range 10 {
		path := storetest.URL(t)
		var log runLog
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 2 {
			clk := clocktest.New(day(6, 59), day(7, 30))
			s, err := New(openStore(t, path, clk), []JobSpec{{Name: "issue", Spec: "0 7 * * *", Run: log.job("issue", clk)}}, opts)
			if err != nil {
				t.Fatal(err)
			}
			s.clock = clk
			clk.SetSettle(s.inflight.Wait)
			wg.Go(func() {
				<-start
				s.Run(context.Background())
			})
		}
		close(start)
		wg.Wait()
		if runs := log.get("issue"); len(runs) != 1 {
			t.Fatalf("round %d: the 07:00 fire ran %d times between two replicas, want once", round+1, len(runs))
		}
	}
}

// TestEveryFiresOnceByReplicasStartedApart: an @every job on two replicas
// that started twenty minutes apart fires at the same times on both, on
// the hour from the Unix epoch, and so once per fire between them. Counted
// from each replica's start, the fires fell at different times, each
// claimed by its own replica: twice as many runs, at the minutes each
// replica happened to start on.
func TestEveryFiresOnceByReplicasStartedApart(t *testing.T) {
	path := storetest.URL(t)
	at := func(h, m, s int) time.Time { return time.Date(2026, 3, 2, h, m, s, 0, time.UTC) }
	var log runLog
	var wg sync.WaitGroup
	for _, start := range []time.Time{at(6, 0, 10), at(6, 20, 0)} {
		clk := clocktest.New(start, at(9, 30, 0))
		s, err := New(openStore(t, path, clk), []JobSpec{{Name: "collect", Spec: "@every 1h", Run: log.job("collect", clk)}}, Options{Location: time.UTC})
		if err != nil {
			t.Fatal(err)
		}
		s.clock = clk
		clk.SetSettle(s.inflight.Wait)
		wg.Go(func() { s.Run(context.Background()) })
	}
	wg.Wait()
	runs := log.get("collect")
	want := []time.Time{at(7, 0, 0), at(8, 0, 0), at(9, 0, 0)}
	ok := len(runs) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = runs[i].Equal(want[i])
	}
	if !ok {
		t.Errorf("@every 1h ran at %v between two replicas; want once at each of %v", runs, want)
	}
}
