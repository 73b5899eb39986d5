package schedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/bulletin-app/bulletin/internal/metrics"
	"github.com/bulletin-app/bulletin/internal/shutdown"
	"github.com/bulletin-app/bulletin/store"
)

// JobSpec is one job and when it runs. Jobs due at the same time run one
// after another, in the order New was given them.
type JobSpec struct {
	Name string // also the name of its lease in the store
	Key  string // config key of Spec, named in errors (schedule.jobs.issue)
	Spec string // cron spec, see Parse; empty: never fires, runs only by RunNow
	// Run does the work. detail sums up what it did for the log and the
	// status ("12 articles, 2 new"). ctx is cancelled only when a stop's
	// grace period ends, so a send in flight can finish.
	Run func(ctx context.Context) (detail string, err error)
	// Quiet is for a job that fires often and mostly finds nothing to do
	// (one that looks for due work every minute): its runs that report no
	// detail, and its fires skipped while it runs, are logged at debug
	// level, not info.
	Quiet bool
}

// Causes of a run, as recorded in the store.
const (
	CauseSchedule = "schedule"
	CauseCatchUp  = "catch-up"
	CauseManual   = "manual"
)

// ErrRunning is returned by RunNow when the job is already running in this
// process. When another process runs it, the error wraps store.ErrLocked.
var ErrRunning = errors.New("already running")

// Options tune a Scheduler. The zero value works: specs in local time, no
// catch-up, a two-minute lease and thirty seconds of grace.
type Options struct {
	// Location is the zone of specs without a CRON_TZ= prefix; nil is
	// time.Local.
	Location *time.Location
	// CatchUpWindow is how old a fire time missed while bulletin was down
	// may be to be made up at start-up; zero makes up none.
	CatchUpWindow time.Duration
	// LockTTL is the lease on a running job; it is renewed while the job
	// runs, so it only bounds how long a crashed process blocks others.
	LockTTL time.Duration
	// Grace is how long a stop waits for running jobs before cancelling
	// their context.
	Grace time.Duration
	Now   func() time.Time
	// Clock, if set, tells the time and waits for it instead of Now and
	// the system's timers: a test drives the scheduler through simulated
	// days with it.
	Clock   Clock
	Logger  *slog.Logger
	Metrics *metrics.Registry
}

// Scheduler runs jobs on their specs. Create it with New.
type Scheduler struct {
	st     *store.Store
	jobs   []*job
	opts   Options
	log    *slog.Logger
	clock  Clock
	holder string

	inflight sync.WaitGroup
	pending  atomic.Int32 // runs started by fire and not yet over
	active   sync.Map     // name of each job running here → struct{}
	runs     *metrics.CounterVec
	skips    *metrics.CounterVec
	duration *metrics.HistogramVec
	running  *metrics.GaugeVec

	// retries are the fire times to try again (see retry): claimed here
	// but their job could not be started (the database failed the lease),
	// or claimed by another replica that had not started it yet;
	// wake, while Run waits, ends its wait so that it sees a new one.
	retryMu sync.Mutex
	retries map[*job]firing
	wake    func()
}

// heldLookAgain is how often a replica looks again at a fire time another
// replica claimed and has not confirmed, until that claim runs out.
const heldLookAgain = 5 * time.Second

// retryAfter is how long after a fire time's job could not be started it
// is tried again.
const retryAfter = time.Minute

type job struct {
	JobSpec
	sched cron.Schedule
	// wrapped is the chain SkipIfStillRunning → Recover → take; a call is
	// handed to it through next (see invoke).
	wrapped cron.Job
	handoff sync.Mutex
	next    *call
}

// routine is the level of j's log lines about fires it need not act on:
// debug for a Quiet job, info for the others.
func (j *job) routine() slog.Level {
	if j.Quiet {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// call is one request to run a job, and what came of it.
type call struct {
	ctx       context.Context
	scheduled time.Time
	cause     string
	again     bool // a fire time tried again (see retry)
	taken     bool // the job ran (or tried to); false when skipped
	detail    string
	err       error
}

// New checks every job's spec, naming its config key in the error, and
// returns a Scheduler for them.
func New(st *store.Store, jobs []JobSpec, opts Options) (*Scheduler, error) {
	if opts.LockTTL <= 0 {
		opts.LockTTL = 2 * time.Minute
	}
	if opts.Grace <= 0 {
		opts.Grace = 30 * time.Second
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{st: st, opts: opts, log: log, clock: realClock{opts.Now}, holder: holderName()}
	if opts.Clock != nil {
		s.clock = opts.Clock
	}
	reg := opts.Metrics
	if reg == nil {
		reg = &metrics.Registry{}
	}
	s.runs = reg.Counter("bulletin_job_runs_total", "Job runs by outcome (ok, error).", "job", "outcome")
	s.skips = reg.Counter("bulletin_job_skips_total", "Fire times not run, by reason (running, locked, done).", "job", "reason")
	s.duration = reg.Histogram("bulletin_job_duration_seconds", "How long job runs took.",
		[]float64{0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600}, "job")
	s.running = reg.Gauge("bulletin_job_running", "1 while the job runs in this process.", "job")

	// Recover inside SkipIfStillRunning: the other way round, a panic
	// would keep the skip wrapper's token and the job would never run again.
	chain := cron.NewChain(cron.SkipIfStillRunning(cronLogger{log}), cron.Recover(cronLogger{log}))
	seen := map[string]bool{}
	for _, spec := range jobs {
		key := spec.Key
		if key == "" {
			key = spec.Name
		}
		switch {
		case spec.Name == "":
			return nil, fmt.Errorf("%s: a job needs a name", key)
		case seen[spec.Name]:
			return nil, fmt.Errorf("%s: job %q is scheduled twice", key, spec.Name)
		case spec.Run == nil:
			return nil, fmt.Errorf("%s: job %q has nothing to run", key, spec.Name)
		}
		seen[spec.Name] = true
		var sched cron.Schedule = manualOnly{}
		if spec.Spec != "" {
			var err error
			if sched, err = Parse(spec.Spec, opts.Location); err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
		}
		j := &job{JobSpec: spec, sched: sched}
		j.wrapped = chain.Then(cron.FuncJob(func() { s.take(j) }))
		s.jobs = append(s.jobs, j)
	}
	return s, nil
}

// manualOnly is the schedule of a job with no spec: it never fires, and
// runs only when asked with RunNow.
type manualOnly struct{}

func (manualOnly) Next(time.Time) time.Time { return time.Time{} }

// holderName tells this process apart from others on the same database,
// also after a restart with the same pid.
func holderName() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Next returns when the named job fires next after t, or the zero time.
func (s *Scheduler) Next(name string, t time.Time) time.Time {
	for _, j := range s.jobs {
		if j.Name == name {
			return j.sched.Next(t)
		}
	}
	return time.Time{}
}

// Run makes up missed runs, then runs each job at its fire times until ctx
// is cancelled. It then starts nothing new, waits for running jobs up to the
// grace period, cancels them, and returns once they have recorded their end
// (or, with an error, when another grace period passed). With a ctx from
// shutdown.SignalContext, a second signal records the running jobs as
// interrupted before the process exits.
func (s *Scheduler) Run(ctx context.Context) error {
	// Jobs outlive ctx: a stop must not cut a send short unless the grace
	// period ends.
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	// What runs can tell that a stop was asked for (shutdown.Requested),
	// and start nothing new, long before jobCtx ends.
	jobCtx = shutdown.WithStop(jobCtx, ctx.Done())
	defer cancelJobs()
	defer shutdown.OnHardExit(ctx, s.Interrupt)()

	now := s.clock.Now()
	next := make([]time.Time, len(s.jobs))
	var catchUps []firing
	for i, j := range s.jobs {
		if due := s.catchUp(ctx, j, now); !due.IsZero() {
			catchUps = append(catchUps, firing{j: j, scheduled: due, cause: CauseCatchUp})
		}
		if next[i] = j.sched.Next(now); !next[i].IsZero() {
			s.log.Info("job scheduled", "job", j.Name, "spec", j.Spec, "next", next[i])
		}
	}
	s.fire(jobCtx, catchUps)
	for {
		var wake time.Time
		for _, t := range next {
			if !t.IsZero() && (wake.IsZero() || t.Before(wake)) {
				wake = t
			}
		}
		sleep, woken := context.WithCancel(ctx)
		if r := s.armRetries(woken); !r.IsZero() && (wake.IsZero() || r.Before(wake)) {
			wake = r
		}
		slept := s.clock.SleepUntil(sleep, wake)
		s.armRetries(nil)
		retried := sleep.Err() != nil && ctx.Err() == nil
		woken()
		if !slept {
			if retried {
				continue // a retry was added: wait for it too
			}
			break
		}
		now = s.clock.Now()
		var due []firing
		for i, j := range s.jobs {
			if f, ok := s.dueRetry(j, now); ok {
				due = append(due, f)
			}
			if next[i].IsZero() || next[i].After(now) {
				continue
			}
			due = append(due, firing{j: j, scheduled: next[i], cause: CauseSchedule})
			// From now, not from the fire time: after a suspend, one run,
			// not a burst of the ones slept through.
			next[i] = j.sched.Next(now)
		}
		s.fire(jobCtx, due)
	}
	return s.stop(cancelJobs)
}

// retry has the fire time of c tried again in retryAfter: it was claimed
// here, and its job could not be started.
func (s *Scheduler) retry(j *job, c *call, log *slog.Logger) {
	at := s.clock.Now().Add(retryAfter)
	log.Info("trying the fire time again later", "at", at)
	s.retryAt(j, c, at)
}

// retryAt has the fire time of c tried again at the time at, or in a
// second if that is sooner (a claim that ran out just now, say): never in
// a busy loop.
func (s *Scheduler) retryAt(j *job, c *call, at time.Time) {
	if soon := s.clock.Now().Add(time.Second); at.Before(soon) {
		at = soon
	}
	s.retryMu.Lock()
	defer s.retryMu.Unlock()
	if s.retries == nil {
		s.retries = map[*job]firing{}
	}
	// scheduled is the fire time; when it is tried again is kept apart.
	s.retries[j] = firing{j: j, scheduled: c.scheduled, cause: c.cause, retryAt: at}
	if s.wake != nil {
		s.wake()
	}
}

// armRetries sets what ends Run's wait when a retry is added, and returns
// when the first retry is due (zero if none is).
func (s *Scheduler) armRetries(wake func()) time.Time {
	s.retryMu.Lock()
	defer s.retryMu.Unlock()
	s.wake = wake
	var first time.Time
	for _, f := range s.retries {
		if first.IsZero() || f.retryAt.Before(first) {
			first = f.retryAt
		}
	}
	return first
}

// dueRetry returns j's fire time to try again now, if one is due. One
// whose next fire time has come is dropped: that one runs instead, as a
// catch-up runs only the latest.
func (s *Scheduler) dueRetry(j *job, now time.Time) (firing, bool) {
	s.retryMu.Lock()
	defer s.retryMu.Unlock()
	f, ok := s.retries[j]
	if !ok || f.retryAt.After(now) {
		return firing{}, false
	}
	delete(s.retries, j)
	if later := j.sched.Next(f.scheduled); !later.IsZero() && !later.After(now) {
		return firing{}, false
	}
	return f, true
}

// WaitIdle waits until the runs started so far have ended. A test that
// drives the scheduler with a Clock calls it before moving the time on, so
// that each run sees the time it was started at.
func (s *Scheduler) WaitIdle() { s.inflight.Wait() }

func (s *Scheduler) stop(cancelJobs context.CancelFunc) error {
	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	if n := s.pending.Load(); n > 0 {
		s.log.Info("stopping: waiting for running jobs", "jobs", n, "grace", s.opts.Grace.String())
	}
	select {
	case <-done:
		s.log.Info("scheduler stopped")
		return nil
	case <-time.After(s.opts.Grace):
	}
	s.log.Warn("grace period over: cancelling running jobs")
	cancelJobs()
	select {
	case <-done:
		return nil
	case <-time.After(s.opts.Grace):
		return errors.New("scheduler stopped with jobs still running")
	}
}

// catchUp returns the fire time of j to make up, if one passed while no
// scheduler was running it and is still within the catch-up window.
func (s *Scheduler) catchUp(ctx context.Context, j *job, now time.Time) time.Time {
	done, err := s.st.JobFiresDone(ctx, j.Name, now)
	if err != nil {
		s.log.Error("cannot tell whether a run was missed", "job", j.Name, "error", err)
		return time.Time{}
	}
	due, missed, stale := Missed(j.sched, done, now, s.opts.CatchUpWindow)
	if stale > 0 {
		s.log.Warn("missed runs too old to make up", "job", j.Name, "runs", stale, "window", s.opts.CatchUpWindow)
	}
	if !due.IsZero() {
		s.log.Info("making up a missed run", "job", j.Name, "due", due, "missed", missed)
	}
	return due
}

// Missed looks at the fire times of sched after done (the last one taken
// care of) up to now. due is the latest of them within window of now, or
// zero if none is; missed counts those within the window, stale those
// older. Only due is run: a job does today's work, not each missed day's.
func Missed(sched cron.Schedule, done, now time.Time, window time.Duration) (due time.Time, missed, stale int) {
	if window <= 0 {
		return time.Time{}, 0, countFires(sched, done, now)
	}
	t := done
	// Next(t) may return t+1ns, so this lets a fire exactly window ago in.
	if from := now.Add(-window).Add(-time.Nanosecond); from.After(t) {
		stale, t = countFires(sched, t, from), from
	}
	for range fireLimit {
		if t = sched.Next(t); t.IsZero() || t.After(now) {
			break
		}
		due, missed = t, missed+1
	}
	return due, missed, stale
}

// fireLimit bounds the fire times looked at: a job every second, down for a
// day, has about this many.
const fireLimit = 100000

// countFires counts the fire times in (after, upto], up to fireLimit.
func countFires(sched cron.Schedule, after, upto time.Time) int {
	n, t := 0, after
	for n < fireLimit {
		if t = sched.Next(t); t.IsZero() || t.After(upto) {
			break
		}
		n++
	}
	return n
}

// firing is one job to run for one fire time.
type firing struct {
	j         *job
	scheduled time.Time
	cause     string
	retryAt   time.Time // of a fire time tried again (see retry)
}

// fire runs the jobs due together without waiting for them, one after
// another in the order the jobs were given: the flow's order, so that an
// issue due in the same minute as a collect goes out with what that collect
// brings, not before it.
func (s *Scheduler) fire(ctx context.Context, due []firing) {
	if len(due) == 0 {
		return
	}
	s.inflight.Add(1)
	s.pending.Add(int32(len(due)))
	go func() {
		defer s.inflight.Done()
		for i, f := range due {
			if i > 0 && shutdown.Requested(ctx) {
				// Stopping: what has not started waits for the next start
				// (a catch-up, within the window).
				s.pending.Add(-int32(len(due) - i))
				s.log.Info("stopping: job not started", "job", f.j.Name, "due", f.scheduled)
				return
			}
			again := !f.retryAt.IsZero()
			if again {
				// Debug: why it was put off was logged then, and what
				// comes of it is logged next.
				s.log.Debug("trying a fire time again", "job", f.j.Name, "due", f.scheduled, "cause", f.cause)
			}
			c := &call{ctx: ctx, scheduled: f.scheduled, cause: f.cause, again: again}
			if !s.invoke(f.j, c) {
				s.skips.Inc(f.j.Name, "running")
				s.log.Log(ctx, f.j.routine(), "job still running: fire skipped", "job", f.j.Name, "due", f.scheduled)
			}
			s.pending.Add(-1)
		}
	}()
}

// RunNow runs the named job at once, as `bulletin run` does, and returns
// what it reported. It coordinates with scheduled runs here and in other
// processes: if the job is running already, it returns ErrRunning or an
// error wrapping store.ErrLocked. The job gets ctx as it is: to let a send
// finish after a first signal, as Run does, pass a context that ends later.
// With a ctx from shutdown.SignalContext, a second signal records the run
// as interrupted before the process exits.
func (s *Scheduler) RunNow(ctx context.Context, name string) (string, error) {
	for _, j := range s.jobs {
		if j.Name != name {
			continue
		}
		defer shutdown.OnHardExit(ctx, s.Interrupt)()
		c := &call{ctx: ctx, cause: CauseManual}
		if !s.invoke(j, c) {
			return "", fmt.Errorf("job %s: %w", name, ErrRunning)
		}
		return c.detail, c.err
	}
	return "", fmt.Errorf("no job named %q", name)
}

// invoke runs c through j's chain and reports whether it ran. cron.Job
// takes no arguments, so the call is handed over in j.next: handoff is held
// from here until the job takes the call, or until the chain skipped it.
func (s *Scheduler) invoke(j *job, c *call) bool {
	j.handoff.Lock()
	j.next = c
	j.wrapped.Run() // runs take, or returns at once if j is running
	if !c.taken {
		j.next = nil
		j.handoff.Unlock()
	}
	return c.taken
}

// take is the innermost link of j's chain.
func (s *Scheduler) take(j *job) {
	c := j.next
	j.next = nil
	c.taken = true
	j.handoff.Unlock()
	s.execute(j, c)
}

// execute runs one call of j under j's lease in the store, and records it.
func (s *Scheduler) execute(j *job, c *call) {
	ctx := c.ctx
	log := s.log.With("job", j.Name, "cause", c.cause)
	if !c.scheduled.IsZero() {
		log = log.With("due", c.scheduled)
	}
	bg := context.WithoutCancel(ctx) // bookkeeping still happens when the job is cancelled

	// The fire time is claimed first, in one statement: of the replicas
	// whose clocks reach it together, exactly one gets it. (Claimed under
	// the lease instead, a replica that found the lease taken by the one
	// about to claim, and settled the fire for it, could leave it run by
	// neither.) The claim holds for good once the lease is taken; until
	// then it runs out with the lease's ttl, and a claimer that cannot
	// take the lease lets go of it and tries again: a database error at
	// that moment, or a crash, does not lose the fire. A replica that finds
	// the fire claimed by another and not confirmed looks again until that
	// claim runs out, so a claimer that dies in between does not lose it
	// either.
	scheduled := !c.scheduled.IsZero()
	if scheduled {
		claimed, held, err := s.st.ClaimJobFireFor(ctx, j.Name, c.scheduled, s.holder, s.opts.LockTTL)
		if err != nil {
			c.err = err
			log.Error("cannot claim the fire time", "error", err)
			s.retry(j, c, log)
			return
		}
		if !claimed && !held.Until.IsZero() {
			// Another replica claimed it and has not started the run yet:
			// it is about to (most often within milliseconds), or it died
			// in between. This one looks again every few seconds until
			// the claim runs out: taken care of by then, or claimed here.
			level := j.routine()
			if c.again {
				level = slog.LevelDebug // said when it was first found
			}
			log.Log(ctx, level, "fire time claimed by another replica: looking again until its claim runs out",
				"holder", held.Holder, "until", held.Until)
			at := s.clock.Now().Add(heldLookAgain)
			if held.Until.Before(at) {
				at = held.Until
			}
			s.retryAt(j, c, at)
			return
		}
		if !claimed {
			s.skips.Inc(j.Name, "done")
			log.Log(ctx, j.routine(), "fire time already run: skipped")
			return
		}
	}
	dead, err := s.st.TakeLock(ctx, j.Name, s.holder, s.opts.LockTTL)
	if dead != "" {
		log.Warn("took over the job's lease from a process that has ended", "holder", dead)
	}
	if err != nil {
		c.err = fmt.Errorf("job %s: %w", j.Name, err)
		if !errors.Is(err, store.ErrLocked) {
			log.Error("cannot take the job's lease", "error", err)
			if scheduled {
				s.giveBack(j, c, log)
			}
			return
		}
		// Another process is doing this work right now, or is about to run
		// this very fire (its claim of it ran out before it took the lease,
		// and this one claimed it again): the fire, claimed above, is left
		// to the lease's holder, is taken care of and is not made up later.
		if scheduled {
			left, lerr := s.st.LeaveJobFire(bg, j.Name, c.scheduled, s.holder)
			if lerr != nil {
				// Written or not, the retry finds out: this holder's claim
				// again, or the fire left to the lease's holder.
				log.Warn("cannot leave the fire time to the lease's holder", "error", lerr)
				s.retry(j, c, log)
				return
			} else if !left {
				// The lease was let go of since, or this claim ran out.
				log.Info("the job's lease was let go of meanwhile: trying the fire time again")
				s.retryAt(j, c, time.Time{})
				return
			}
		}
		s.skips.Inc(j.Name, "locked")
		log.Info("job running in another process: skipped", "error", err)
		return
	}
	defer func() {
		if err := s.st.Unlock(bg, j.Name, s.holder); err != nil {
			log.Warn("cannot release the job's lease", "error", err)
		}
	}()
	if scheduled {
		// Under the lease. If this claim ran out meanwhile and another
		// replica claimed the fire again, that one finds the lease taken
		// and leaves the run to this one, or has not tried yet: the
		// confirm takes its claim over. If that replica took the lease
		// first, it ran the fire: this one does not.
		if mine, err := s.st.ConfirmJobFire(ctx, j.Name, c.scheduled, s.holder); err != nil {
			// The confirm may have been written and only its reply lost:
			// giveBack lets go of the claim either way, and the retry,
			// by this holder, may claim it again in any case.
			c.err = err
			log.Error("cannot mark the fire time taken", "error", err)
			s.giveBack(j, c, log)
			return
		} else if !mine {
			s.skips.Inc(j.Name, "done")
			log.Info("fire time run by another replica after this one's claim ran out: skipped")
			return
		}
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		s.renew(runCtx, cancel, j, log)
	}()
	defer func() { cancel(); <-renewed }()

	if err := s.st.RecordJobStart(ctx, j.Name, c.scheduled, c.cause); err != nil {
		log.Error("cannot record the job's start", "error", err)
	}
	s.running.Set(1, j.Name)
	s.active.Store(j.Name, struct{}{})
	start := time.Now()
	defer func() {
		elapsed := time.Since(start)
		s.running.Set(0, j.Name)
		s.active.Delete(j.Name)
		if r := recover(); r != nil {
			c.err = fmt.Errorf("job %s panicked: %v", j.Name, r)
			s.finish(bg, j, c, elapsed, log)
			panic(r) // for cron.Recover, which logs the stack
		}
		s.finish(bg, j, c, elapsed, log)
	}()
	startedAt := s.clock.Now()
	c.detail, c.err = j.Run(runCtx)
	if c.err == nil && c.cause == CauseManual {
		// The run did the work of any fire time before it, which a
		// later start-up must not make up again.
		if _, err := s.st.ClaimJobFire(bg, j.Name, startedAt); err != nil {
			log.Warn("cannot mark earlier fire times done", "error", err)
		}
	}
}

// giveBack lets go of the claim of c's fire time, which this process
// could not start the job for, and tries it again later. If the database
// does not take even that, the claim runs out with the lease's ttl.
func (s *Scheduler) giveBack(j *job, c *call, log *slog.Logger) {
	if err := s.st.ReleaseJobFire(context.WithoutCancel(c.ctx), j.Name, c.scheduled, s.holder); err != nil {
		log.Warn("cannot let go of the fire time's claim; it runs out by itself", "ttl", s.opts.LockTTL.String(), "error", err)
	}
	s.retry(j, c, log)
}

// ErrInterrupted is recorded for runs cut short by Interrupt.
var ErrInterrupted = errors.New("interrupted: bulletin was told to exit at once")

// Interrupt records every job running in this process as interrupted and
// releases its lease, for a process about to exit without waiting for them.
// What a job wrote itself (the delivery ledger, say) stays as it was.
func (s *Scheduler) Interrupt(ctx context.Context) {
	s.active.Range(func(name, _ any) bool {
		job := name.(string)
		if err := s.st.RecordJobEnd(ctx, job, ErrInterrupted, ""); err != nil {
			s.log.Error("cannot record the interrupted run", "job", job, "error", err)
		}
		s.st.Unlock(ctx, job, s.holder)
		return true
	})
}

// finish records and logs the end of a run: one log line per run, with the
// figures the job reported.
func (s *Scheduler) finish(ctx context.Context, j *job, c *call, elapsed time.Duration, log *slog.Logger) {
	if err := s.st.RecordJobEnd(ctx, j.Name, c.err, c.detail); err != nil {
		log.Error("cannot record the job's end", "error", err)
	}
	s.duration.Observe(elapsed.Seconds(), j.Name)
	if c.err != nil {
		s.runs.Inc(j.Name, "error")
		log.Error("job failed", "duration", elapsed.Round(time.Millisecond), "detail", c.detail, "error", c.err)
		return
	}
	s.runs.Inc(j.Name, "ok")
	level := slog.LevelInfo
	if j.Quiet && c.detail == "" {
		level = slog.LevelDebug
	}
	log.Log(ctx, level, "job done", "duration", elapsed.Round(time.Millisecond), "detail", c.detail)
}

// renew keeps the job's lease while it runs. Losing it to another process
// means the job no longer runs alone, so the job is cancelled.
func (s *Scheduler) renew(ctx context.Context, cancel context.CancelFunc, j *job, log *slog.Logger) {
	if err := s.st.KeepLock(ctx, j.Name, s.holder, s.opts.LockTTL); err != nil {
		log.Error("lost the job's lease: cancelling it", "error", err)
		cancel()
	}
}

// cronLogger lets robfig/cron's wrappers log through slog.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append([]any{"error", err}, kv...)...)
}

// Clock tells the time and waits for it; tests replace it (Options.Clock).
type Clock interface {
	Now() time.Time
	// SleepUntil waits until t (forever if t is zero) and reports true, or
	// false if ctx ended first.
	SleepUntil(ctx context.Context, t time.Time) bool
}

type realClock struct{ now func() time.Time }

func (c realClock) Now() time.Time { return c.now() }

func (c realClock) SleepUntil(ctx context.Context, t time.Time) bool {
	for {
		d := time.Minute
		if !t.IsZero() {
			if d = t.Sub(c.now()); d <= 0 {
				return true
			}
			// Wake up now and then: the wall clock may have been set, or
			// the machine suspended, since the timer was armed.
			d = min(d, time.Minute)
		}
		timer := time.NewTimer(d)
		select {
		case <-ctx.Done():
			timer.Stop()
			return false
		case <-timer.C:
		}
	}
}
