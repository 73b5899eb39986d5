package proc

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"syscall"
)

// start reads what tells process pid from a later one of the same pid, or
// "" if it cannot be read.
func start(pid int) string {
	s, _, err := stat(pid)
	if err != nil {
		return ""
	}
	return s
}

// current returns the Start of the process that has pid now, and false if
// there is none, or it is a zombie (killed, not reaped yet: it does nothing
// any more).
func current(pid int) (string, bool) {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return "", false
	}
	s, state, err := stat(pid)
	if errors.Is(err, os.ErrNotExist) || state == 'Z' || state == 'X' {
		return "", false
	}
	if err != nil {
		return "?", true // there, but unreadable: taken as alive
	}
	return s, true
}

var (
	bootID = func() string {
		b, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
		return string(bytes.TrimSpace(b))
	}()
	pidNS, _ = os.Readlink("/proc/self/ns/pid")
)

// stat reads the start time and state of pid from /proc/PID/stat (proc(5)).
func stat(pid int) (string, byte, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", 0, err
	}
	// The command name, in parentheses, may hold spaces and parentheses
	// itself: the fields start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return "", 0, errors.New("proc: malformed stat")
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state); field 22 (starttime) is f[19].
	if len(f) < 20 || len(f[0]) != 1 || bootID == "" || pidNS == "" {
		return "", 0, errors.New("proc: malformed stat")
	}
	return bootID + " " + pidNS + " " + string(f[19]), f[0][0], nil
}
