package proc

import (
	"os/exec"
	"runtime"
	"testing"
	"time"
)

func TestGone(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("process start times are read on Linux only")
	}
	self := Self()
	if self.Start == "" {
		t.Fatal("no start time for this process")
	}
	if Gone(self) {
		t.Fatal("this process is said to be gone")
	}
	// A child that is killed, and reaped, is gone.
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	child := Process{Host: self.Host, PID: cmd.Process.Pid, Start: start(cmd.Process.Pid)}
	if child.Start == "" || Gone(child) {
		t.Fatalf("running child %+v is said to be gone", child)
	}
	// Its pid taken by a later process: the start time differs.
	reused := child
	reused.Start = where(child.Start) + " 1"
	if !Gone(reused) {
		t.Error("a process whose pid now belongs to a later one is not said to be gone")
	}
	cmd.Process.Kill()
	// Killed, not reaped yet: a zombie holds nothing. The signal takes a
	// moment to land.
	deadline := time.Now().Add(5 * time.Second)
	for !Gone(child) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !Gone(child) {
		t.Error("a killed child (a zombie) is not said to be gone")
	}
	cmd.Wait()
	if !Gone(child) {
		t.Error("a killed and reaped child is not said to be gone")
	}
	// Elsewhere, nothing can be told.
	for _, p := range []Process{
		{Host: self.Host + "-other", PID: child.PID, Start: child.Start},
		{Host: self.Host, PID: child.PID, Start: "other-boot pid:[1] " + "100"},
		{Host: self.Host, PID: child.PID},
	} {
		if Gone(p) {
			t.Errorf("%+v is said to be gone; it ran elsewhere, or cannot be told", p)
		}
	}
}
