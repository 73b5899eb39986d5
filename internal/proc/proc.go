// Package proc tells whether a process that recorded itself (a lease
// holder, say) is still running, on the same host, without being fooled by
// a later process that was given the same pid.
package proc

import (
	"os"
	"strings"
	"sync"
)

// Process identifies one run of a program.
type Process struct {
	Host string // the host name
	PID  int
	// Start tells this process from a later one given the same pid: on
	// Linux, the kernel's boot id, the pid namespace and the process's
	// start time since boot. Empty where it cannot be read.
	Start string
}

// Self is the running process.
var Self = sync.OnceValue(func() Process {
	host, _ := os.Hostname()
	pid := os.Getpid()
	return Process{Host: host, PID: pid, Start: start(pid)}
})

// Of is the process that has pid now, as Self would say it; its Start is
// empty if there is none.
func Of(pid int) Process {
	return Process{Host: Self().Host, PID: pid, Start: start(pid)}
}

// Gone reports whether p has certainly ended: it ran where this process
// runs (the same host name, kernel boot and pid namespace, so that its pid
// means what it says here), and no process has its pid now, or the one
// that has it is a zombie or started at another time. It is false
// whenever that cannot be told: another host, or no Start to compare.
func Gone(p Process) bool {
	self := Self()
	if p.Host != self.Host || p.PID <= 0 || p.Start == "" || self.Start == "" {
		return false
	}
	if where(p.Start) != where(self.Start) {
		return false // another machine, container or boot: its pids are not ours
	}
	now, ok := current(p.PID)
	if !ok {
		return true
	}
	return now != p.Start
}

// where is the part of a Start that tells the machine and namespace.
func where(start string) string {
	i := strings.LastIndexByte(start, ' ')
	if i < 0 {
		return start
	}
	return start[:i]
}
