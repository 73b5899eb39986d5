package schedule

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/clocktest"

	"github.com/bulletin-app/bulletin/internal/storetest"
	"github.com/bulletin-app/bulletin/store"
)

func openStore(t *testing.T, path string, clk *clocktest.Sim) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if clk != nil {
		st.SetClock(clk.Now)
	}
	return st
}

// runLog records the runs of jobs: the simulated time each started at.
type runLog struct {
	mu   sync.Mutex
	runs map[string][]time.Time
}

func (l *runLog) job(name string, clk *clocktest.Sim) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.runs == nil {
			l.runs = map[string][]time.Time{}
		}
		l.runs[name] = append(l.runs[name], clk.Now())
		return fmt.Sprintf("run %d", len(l.runs[name])), nil
	}
}

func (l *runLog) get(name string) []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Time(nil), l.runs[name]...)
}

// simulate runs a scheduler over the simulated span [from, to] and returns
// it once it stopped.
func simulate(t *testing.T, st *store.Store, clk *clocktest.Sim, jobs []JobSpec, opts Options) *Scheduler {
	t.Helper()
	s, err := New(st, jobs, opts)
	if err != nil {
		t.Fatal(err)
	}
	s.clock = clk
	clk.SetSettle(s.inflight.Wait)
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDSTDaysRunOnce drives the scheduler through New York's change days of
// 2026 and counts the runs on each local date.
func TestDSTDaysRunOnce(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	for _, span := range []struct {
		name     string
		from, to time.Time
	}{
		{"spring forward", time.Date(2026, 3, 6, 12, 0, 0, 0, ny), time.Date(2026, 3, 10, 12, 0, 0, 0, ny)},
		{"fall back", time.Date(2026, 10, 30, 12, 0, 0, 0, ny), time.Date(2026, 11, 3, 12, 0, 0, 0, ny)},
	} {
		t.Run(span.name, func(t *testing.T) {
			clk := clocktest.New(span.from, span.to)
			st := openStore(t, storetest.URL(t), clk)
			var log runLog
			jobs := []JobSpec{
				{Name: "at0230", Spec: "30 2 * * *", Run: log.job("at0230", clk)},
				{Name: "at0130", Spec: "CRON_TZ=America/New_York 30 1 * * *", Run: log.job("at0130", clk)},
			}
			simulate(t, st, clk, jobs, Options{Location: ny, CatchUpWindow: 12 * time.Hour})
			for _, j := range jobs {
				perDay := map[string]int{}
				for _, r := range log.get(j.Name) {
					perDay[r.In(ny).Format("2006-01-02")]++
				}
				if len(perDay) != 4 {
					t.Errorf("%s ran on days %v; want the 4 days from %v", j.Name, perDay, span.from)
				}
				for day, n := range perDay {
					if n != 1 {
						t.Errorf("%s ran %d times on %s; want once (runs: %v)", j.Name, n, day, log.get(j.Name))
					}
				}
			}
			if span.name == "spring forward" {
				want := time.Date(2026, 3, 8, 3, 0, 0, 0, ny)
				if runs := log.get("at0230"); len(runs) < 2 || !runs[1].Equal(want) {
					t.Errorf("02:30 on spring-forward day ran at %v; want %v, right after the gap", runs, want)
				}
			}
		})
	}
}

// TestCatchUpAfterRestart stops bulletin before a fire time and starts it
// again after: one run makes up for it, within the window only.
func TestCatchUpAfterRestart(t *testing.T) {
	day := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, time.UTC) }
	type life struct {
		from, to time.Time
		manual   bool // `bulletin run` at from, not serve
	}
	for _, tc := range []struct {
		name  string
		spec  string
		lives []life // the process runs over each span in turn, down between them
		want  []time.Time
		cause string
	}{
		{
			name:  "down over the fire time",
			spec:  "0 7 * * *",
			lives: []life{{from: day(2, 5, 0), to: day(2, 6, 59)}, {from: day(2, 7, 20), to: day(2, 9, 0)}},
			want:  []time.Time{day(2, 7, 20)},
			cause: CauseCatchUp,
		},
		{
			name:  "restarted again after the catch-up",
			spec:  "0 7 * * *",
			lives: []life{{from: day(2, 5, 0), to: day(2, 6, 59)}, {from: day(2, 7, 20), to: day(2, 7, 21)}, {from: day(2, 7, 40), to: day(2, 9, 0)}},
			want:  []time.Time{day(2, 7, 20)},
			cause: CauseCatchUp,
		},
		{
			name:  "restarted after a run on time",
			spec:  "0 7 * * *",
			lives: []life{{from: day(2, 5, 0), to: day(2, 7, 5)}, {from: day(2, 7, 20), to: day(2, 9, 0)}},
			want:  []time.Time{day(2, 7, 0)},
			cause: CauseSchedule,
		},
		{
			name:  "down for several fires of a frequent job",
			spec:  "*/30 * * * *",
			lives: []life{{from: day(2, 5, 0), to: day(2, 5, 10)}, {from: day(2, 8, 10), to: day(2, 8, 20)}},
			want:  []time.Time{day(2, 8, 10)},
			cause: CauseCatchUp,
		},
		{
			name:  "the latest missed fire is in the window",
			spec:  "0 7 * * *",
			lives: []life{{from: day(2, 5, 0), to: day(2, 6, 59)}, {from: day(3, 18, 0), to: day(3, 18, 30)}},
			want:  []time.Time{day(3, 18, 0)},
			cause: CauseCatchUp,
		},
		{
			name:  "every missed fire is older than the window",
			spec:  "0 7 * * *",
			lives: []life{{from: day(2, 5, 0), to: day(2, 6, 59)}, {from: day(3, 20, 0), to: day(3, 21, 0)}},
		},
		{
			name: "a manual run after the missed fire",
			spec: "0 7 * * *",
			lives: []life{{from: day(2, 5, 0), to: day(2, 6, 59)}, {from: day(2, 7, 10), manual: true},
				{from: day(2, 7, 20), to: day(2, 9, 0)}},
			want:  []time.Time{day(2, 7, 10)},
			cause: CauseManual,
		},
		{
			name: "a manual run before the missed fire",
			spec: "0 7 * * *",
			lives: []life{{from: day(2, 5, 0), to: day(2, 6, 30)}, {from: day(2, 6, 50), manual: true},
				{from: day(2, 7, 20), to: day(2, 9, 0)}},
			want:  []time.Time{day(2, 6, 50), day(2, 7, 20)},
			cause: CauseCatchUp,
		},
		{
			name:  "first start after a fire time",
			spec:  "0 7 * * *",
			lives: []life{{from: day(2, 7, 20), to: day(2, 9, 0)}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := storetest.URL(t)
			var log runLog
			var clk *clocktest.Sim
			for _, l := range tc.lives {
				clk = clocktest.New(l.from, l.to)
				st := openStore(t, path, clk) // a new process: nothing kept in memory
				jobs := []JobSpec{{Name: "issue", Key: "schedule.jobs.issue", Spec: tc.spec, Run: log.job("issue", clk)}}
				opts := Options{Location: time.UTC, CatchUpWindow: 12 * time.Hour}
				if l.manual {
					s, err := New(st, jobs, opts)
					if err != nil {
						t.Fatal(err)
					}
					s.clock = clk
					if _, err := s.RunNow(context.Background(), "issue"); err != nil {
						t.Fatal(err)
					}
				} else {
					simulate(t, st, clk, jobs, opts)
				}
				st.Close()
			}
			got := log.get("issue")
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("runs at %v; want %v", got, tc.want)
			}
			if len(tc.want) == 0 {
				return
			}
			st := openStore(t, path, clk)
			r, err := st.LastJobRun(context.Background(), "issue")
			if err != nil {
				t.Fatal(err)
			}
			if r.Cause != tc.cause || !r.OK || r.Detail != fmt.Sprint("run ", len(tc.want)) {
				t.Errorf("recorded run %+v; want an ok %s run", r, tc.cause)
			}
		})
	}
}

// blocker is a job that runs until released, or until its context ends.
type blocker struct {
	started chan struct{}
	release chan struct{}
	ctxErr  chan error
}

func newBlocker() *blocker {
	return &blocker{started: make(chan struct{}, 10), release: make(chan struct{}), ctxErr: make(chan error, 10)}
}

func (b *blocker) run(ctx context.Context) (string, error) {
	b.started <- struct{}{}
	select {
	case <-b.release:
		return "released", nil
	case <-ctx.Done():
		b.ctxErr <- ctx.Err()
		return "", ctx.Err()
	}
}

func TestJobNeverOverlapsAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	path := storetest.URL(t)
	b := newBlocker()
	var log runLog
	clkB := clocktest.New(time.Date(2026, 3, 2, 6, 59, 0, 0, time.UTC), time.Date(2026, 3, 2, 7, 30, 0, 0, time.UTC))
	serve, err := New(openStore(t, path, nil), []JobSpec{{Name: "issue", Spec: "0 7 * * *", Run: b.run}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := New(openStore(t, path, clkB), []JobSpec{{Name: "issue", Spec: "0 7 * * *", Run: log.job("issue", clkB)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() { _, err := serve.RunNow(ctx, "issue"); done <- err }()
	<-b.started

	if _, err := serve.RunNow(ctx, "issue"); !errors.Is(err, ErrRunning) {
		t.Errorf("second run in the same process: %v; want ErrRunning", err)
	}
	if _, err := other.RunNow(ctx, "issue"); !errors.Is(err, store.ErrLocked) {
		t.Errorf("run from another process: %v; want store.ErrLocked", err)
	}
	// The other process's scheduled fire at 07:00 comes while the job runs:
	// skipped, and not made up later either.
	other.clock = clkB
	clkB.SetSettle(other.inflight.Wait)
	if err := other.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if runs := log.get("issue"); len(runs) != 0 {
		t.Errorf("the other process ran the job at %v while it was running here", runs)
	}
	if fired, _ := openStore(t, path, nil).JobFiresDone(ctx, "issue", time.Time{}); !fired.Equal(time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("fire time done up to %v; want the 07:00 fire settled", fired)
	}

	close(b.release)
	if err := <-done; err != nil {
		t.Fatalf("the manual run: %v", err)
	}
	if detail, err := other.RunNow(ctx, "issue"); err != nil || detail != "run 1" {
		t.Errorf("run from another process once free = %q, %v; want it to run", detail, err)
	}
}

func TestLeaseRenewedWhileRunning(t *testing.T) {
	ctx := context.Background()
	path := storetest.URL(t)
	b := newBlocker()
	s, err := New(openStore(t, path, nil), []JobSpec{{Name: "issue", Spec: "@daily", Run: b.run}},
		Options{LockTTL: 150 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := s.RunNow(ctx, "issue"); done <- err }()
	<-b.started
	other := openStore(t, path, nil)
	// Well past the first lease: only renewal keeps it.
	for range 4 {
		time.Sleep(100 * time.Millisecond)
		if err := other.Lock(ctx, "issue", "other", time.Minute); !errors.Is(err, store.ErrLocked) {
			t.Fatalf("another process took the lease of a running job: %v", err)
		}
	}
	close(b.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := other.Lock(ctx, "issue", "other", time.Minute); err != nil {
		t.Errorf("the lease was not released after the run: %v", err)
	}
}

func TestStopLetsRunningJobsFinish(t *testing.T) {
	for _, tc := range []struct {
		name      string
		finish    bool // the job finishes during the grace period
		wantError string
	}{
		{"finishes within grace", true, ""},
		{"cancelled after grace", false, "context canceled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := storetest.URL(t)
			// The clock reaches one fire time, then the stop comes.
			clk := clocktest.New(time.Date(2026, 3, 2, 6, 59, 0, 0, time.UTC), time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC))
			st := openStore(t, path, clk)
			b := newBlocker()
			s, err := New(st, []JobSpec{{Name: "issue", Spec: "0 7 * * *", Run: b.run}}, Options{Grace: 200 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			s.clock = clk
			if tc.finish {
				go func() { <-b.started; close(b.release) }()
			}
			if err := s.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			r, err := st.LastJobRun(context.Background(), "issue")
			if err != nil {
				t.Fatal(err)
			}
			if r.Finished.IsZero() || r.Error != tc.wantError || r.OK != (tc.wantError == "") {
				t.Errorf("recorded %+v; want finished with error %q", r, tc.wantError)
			}
			select {
			case err := <-b.ctxErr:
				if tc.finish {
					t.Errorf("the job's context ended (%v) though it finished within grace", err)
				}
			default:
				if !tc.finish {
					t.Error("the job's context was not cancelled after grace")
				}
			}
		})
	}
}

func TestPanickingJobIsRecordedAndRunsAgain(t *testing.T) {
	path := storetest.URL(t)
	clk := clocktest.New(time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC))
	st := openStore(t, path, clk)
	runs := 0
	job := func(context.Context) (string, error) {
		runs++
		if runs == 1 {
			var m map[string]int
			//lint:ignore SA5000 the nil map write is the point: a real runtime panic, not a planted one
			m["boom"]++
		}
		return "fine", nil
	}
	simulate(t, st, clk, []JobSpec{{Name: "collect", Spec: "0 * * * *", Run: job}}, Options{})
	if runs != 2 {
		t.Fatalf("the job ran %d times; want 2, at 06:00 and 07:00", runs)
	}
	r, _ := st.LastJobRun(context.Background(), "collect")
	if !r.OK || r.Detail != "fine" {
		t.Errorf("after a run that panicked, the next one reads %+v; want ok", r)
	}
}

func TestNewNamesTheKey(t *testing.T) {
	st := openStore(t, storetest.URL(t), nil)
	noop := func(context.Context) (string, error) { return "", nil }
	for _, tc := range []struct {
		jobs []JobSpec
		want string
	}{
		{[]JobSpec{{Name: "issue", Key: "schedule.jobs.issue", Spec: "CRON_TZ=", Run: noop}}, "schedule.jobs.issue: "},
		{[]JobSpec{{Name: "collect", Key: "schedule.jobs.collect", Spec: "0 7 * *", Run: noop}}, "schedule.jobs.collect: "},
		{[]JobSpec{{Name: "a", Spec: "@daily", Run: noop}, {Name: "a", Key: "schedule.jobs.a", Spec: "@daily", Run: noop}}, "scheduled twice"},
		{[]JobSpec{{Name: "a", Spec: "@daily"}}, "nothing to run"},
	} {
		_, err := New(st, tc.jobs, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v; want an error with %q", tc.jobs, err, tc.want)
		}
	}
}

func TestMissed(t *testing.T) {
	hourly, err := Parse("0 * * * *", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	h := func(n int) time.Time { return time.Date(2026, 3, 2, n, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		done, now     time.Time
		window        time.Duration
		due           time.Time
		missed, stale int
	}{
		{h(1), h(1).Add(59 * time.Minute), time.Hour, time.Time{}, 0, 0},
		{h(1), h(2), time.Hour, h(2), 1, 0},
		{h(1), h(5).Add(time.Minute), 2 * time.Hour, h(5), 2, 2}, // 02, 03 too old; 04, 05 in
		{h(1), h(5), 2 * time.Hour, h(5), 3, 1},                  // a fire exactly window ago is in
		{h(1), h(5), 0, time.Time{}, 0, 4},                       // no window: nothing made up
		{h(5), h(1), time.Hour, time.Time{}, 0, 0},               // the clock went back
	} {
		due, missed, stale := Missed(hourly, tc.done, tc.now, tc.window)
		if !due.Equal(tc.due) || missed != tc.missed || stale != tc.stale {
			t.Errorf("Missed(done %v, now %v, window %v) = %v, %d, %d; want %v, %d, %d",
				tc.done.Format("15:04"), tc.now.Format("15:04"), tc.window, due, missed, stale, tc.due, tc.missed, tc.stale)
		}
	}
}

func TestJobWithoutSpecRunsOnlyWhenAsked(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "b.db"), nil)
	ran := 0
	s, err := New(st, []JobSpec{{Name: "manual", Run: func(context.Context) (string, error) { ran++; return "done", nil }}}, Options{CatchUpWindow: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if next := s.Next("manual", time.Now()); !next.IsZero() {
		t.Errorf("Next = %v, want never", next)
	}
	if detail, err := s.RunNow(context.Background(), "manual"); err != nil || detail != "done" || ran != 1 {
		t.Errorf("RunNow = %q, %v; ran %d times", detail, err, ran)
	}
}

// TestJobsDueTogetherRunInOrder: with collect and issue both on
// "* * * * *", issue must not run before, nor beside, the collect of the
// same minute: it would miss what that collect brings. Jobs due together
// run one after another, in the order given.
func TestJobsDueTogetherRunInOrder(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 3, 2, 6, 59, 30, 0, time.UTC), time.Date(2026, 3, 2, 7, 5, 0, 0, time.UTC))
	st := openStore(t, filepath.Join(t.TempDir(), "b.db"), clk)
	var mu sync.Mutex
	var events []string
	note := func(e string) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
	}
	jobs := []JobSpec{
		{Name: "collect", Spec: "* * * * *", Run: func(context.Context) (string, error) {
			note("collect start")
			time.Sleep(20 * time.Millisecond) // long enough for a job beside it to start
			note("collect end")
			return "", nil
		}},
		{Name: "issue", Spec: "* * * * *", Run: func(context.Context) (string, error) {
			note("issue start")
			note("issue end")
			return "", nil
		}},
	}
	simulate(t, st, clk, jobs, Options{Location: time.UTC})
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 6*4 {
		t.Fatalf("%d events, want 24 (both jobs at 7:00 to 7:05): %v", len(events), events)
	}
	for i := 0; i < len(events); i += 4 {
		got := strings.Join(events[i:i+4], ", ")
		if got != "collect start, collect end, issue start, issue end" {
			t.Fatalf("minute %d: %s", i/4+1, got)
		}
	}
}
