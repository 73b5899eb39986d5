package store

import (
	"context"
	"errors"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/proc"
)

// TestLockTakenOverFromDeadHolder: a lease whose holder was a process of
// this host that has ended is taken at once, not after its two minutes;
// one held by a live process, by a later process given the dead one's pid,
// or by a process elsewhere is not.
func TestLockTakenOverFromDeadHolder(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("process start times are read on Linux only")
	}
	eachDB(t, func(t *testing.T, db testDB) {
		st := db.open(t)
		ctx := context.Background()
		me := proc.Self()

		live := exec.Command("sleep", "60")
		if err := live.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { live.Process.Kill(); live.Wait() })
		liveProc := procOf(t, live.Process.Pid)

		dead := exec.Command("sleep", "60")
		if err := dead.Start(); err != nil {
			t.Fatal(err)
		}
		deadProc := procOf(t, dead.Process.Pid)
		dead.Process.Kill()
		dead.Wait()

		// The pid of a live process, with another start time: a later
		// process was given the pid of the one that took the lease.
		reused := liveProc
		reused.Start = reused.Start[:strings.LastIndexByte(reused.Start, ' ')] + " 1"
		elsewhere := deadProc
		elsewhere.Host += ".elsewhere"

		for _, c := range []struct {
			name     string
			holder   proc.Process
			takeOver bool
		}{
			{"live", liveProc, false},
			{"dead", deadProc, true},
			{"pid reused", reused, true},
			{"another host", elsewhere, false},
			{"recorded before holders were", proc.Process{}, false},
		} {
			name := "job-" + strings.ReplaceAll(c.name, " ", "-")
			if _, err := st.lockAs(ctx, name, "them", time.Hour, c.holder); err != nil {
				t.Fatal(err)
			}
			dead, err := st.TakeLock(ctx, name, "us", time.Minute)
			switch {
			case c.takeOver && (err != nil || dead != "them"):
				t.Errorf("%s: lease not taken over: %q, %v", c.name, dead, err)
			case !c.takeOver && !errors.Is(err, ErrLocked):
				t.Errorf("%s: lease taken (%q, %v); its holder may be alive", c.name, dead, err)
			}
			if !c.takeOver && c.holder.PID > 0 && err != nil && !strings.Contains(err.Error(), "pid") {
				t.Errorf("%s: the refusal does not say which process holds it: %v", c.name, err)
			}
		}
		// Ours now: renewing is still ours, and another process of this
		// one is alive.
		if _, err := st.lockAs(ctx, "job-dead", "another", time.Minute, me); !errors.Is(err, ErrLocked) {
			t.Errorf("the lease taken over was taken again from a live holder: %v", err)
		}
	})
}

func procOf(t *testing.T, pid int) proc.Process {
	t.Helper()
	p := proc.Of(pid)
	if p.Start == "" {
		t.Fatalf("no start time for pid %d", pid)
	}
	return p
}
