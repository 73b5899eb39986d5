package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sample is one run of a child process.
type sample struct {
	wall time.Duration
	cpu  time.Duration // user + system
	rss  int64         // peak resident set, bytes (the child's rusage)
}

// runOpts say how a child runs.
type runOpts struct {
	dir    string    // working directory
	stdout io.Writer // nil: discarded through a pipe, as a shell pipeline would
	log    string    // file that receives stderr
}

// run starts bin with args and waits for it. A non-zero exit is an error
// that quotes the end of its standard error.
//
// The child is started by a launcher, this program run again with
// -launch: Linux keeps the peak RSS of a process across execve, and Go
// starts a child with vfork, so a child exec'd straight from this process
// would report this process's own peak (tens of MB: the word model) as the
// floor of its own. The launcher is small, and reports the child's rusage.
func run(bin string, args []string, o runOpts) (sample, error) {
	self, err := os.Executable()
	if err != nil {
		return sample{}, err
	}
	res, err := os.CreateTemp("", "benchrun-usage-*")
	if err != nil {
		return sample{}, err
	}
	res.Close()
	defer os.Remove(res.Name())
	cmd := exec.Command(self, append([]string{launchFlag, res.Name(), bin}, args...)...)
	cmd.Dir = o.dir
	cmd.Stdout = o.stdout
	if cmd.Stdout == nil {
		cmd.Stdout = io.Discard
	}
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	err = cmd.Run()
	var s sample
	if b, rerr := os.ReadFile(res.Name()); rerr == nil {
		var wall, cpu int64
		if _, serr := fmt.Sscan(string(b), &wall, &cpu, &s.rss); serr == nil {
			s.wall, s.cpu = time.Duration(wall), time.Duration(cpu)
		}
	}
	if o.log != "" {
		appendFile(o.log, fmt.Sprintf("$ %s %s\n%s\n", filepath.Base(bin), strings.Join(args, " "), errBuf.Bytes()))
	}
	if err != nil {
		return s, fmt.Errorf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, tail(errBuf.String(), 2000))
	}
	if s.wall == 0 {
		return s, fmt.Errorf("%s %s: the launcher reported nothing", filepath.Base(bin), strings.Join(args, " "))
	}
	return s, nil
}

const launchFlag = "-launch"

// launch is the launcher's whole work: run os.Args[3:] with this process's
// standard files, write "wall-ns cpu-ns maxrss-bytes" to os.Args[2], and
// exit with the child's status.
func launch() {
	cmd := exec.Command(os.Args[3], os.Args[4:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "benchrun launcher:", err)
		os.Exit(127)
	}
	cpu, rss := usage(cmd.ProcessState)
	os.WriteFile(os.Args[2], fmt.Appendf(nil, "%d %d %d\n", wall.Nanoseconds(), cpu.Nanoseconds(), rss), 0o644)
	os.Exit(cmd.ProcessState.ExitCode())
}

func usage(ps *os.ProcessState) (time.Duration, int64) {
	cpu := ps.UserTime() + ps.SystemTime()
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return cpu, ru.Maxrss * 1024 // Linux reports kilobytes
	}
	return cpu, 0
}

// peakRSS reads the peak resident set of a running process so far
// (VmHWM), in bytes.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func appendFile(name, s string) {
	f, err := os.OpenFile(name, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	f.WriteString(s)
	f.Close()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// copyDir copies the regular files of a tree (a data folder between runs).
func copyDir(dst, src string) error {
	return filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode())
	})
}
