// Command bulletin turns a stream of articles into a newsletter: it collects
// them, summarizes them, publishes feeds and an archive, and emails the
// issue to confirmed subscribers. Run "bulletin help" for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/bulletin-app/bulletin"
	"github.com/bulletin-app/bulletin/internal/shutdown"
	"github.com/bulletin-app/bulletin/newsletter"
)

// command is one subcommand: its flags are defined by setup, and run does
// the work once they are parsed.
type command struct {
	name    string
	args    string // the arguments after the flags, for the usage line
	short   string // one line for the command list
	summary string // the whole description, for its help
	setup   func(fs *flag.FlagSet) func(ctx context.Context, env *env, args []string) error
}

var commands []command

func register(c command) { commands = append(commands, c) }

// env is what every command gets: where to write and how to load the app.
type env struct {
	stdout, stderr io.Writer
	configPath     string
}

func main() {
	// The first SIGINT or SIGTERM stops taking work and lets what runs
	// finish; a second exits at once (the ledger is written as it goes).
	ctx, stop := shutdown.SignalContext(context.Background(), nil)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1 // the work failed
	exitUsage       = 2 // the command line is wrong
	exitUndelivered = 3 // it ran, but messages failed or are still pending
	// exitTempFail is sysexits' EX_TEMPFAIL: try again later. An MTA that
	// pipes a bounce to "bulletin bounces process -" keeps it and retries.
	exitTempFail = 75
)

// tempFailure marks an error worth retrying later (the store is down).
type tempFailure struct{ err error }

func (t tempFailure) Error() string { return t.err.Error() }
func (t tempFailure) Unwrap() error { return t.err }

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr}
	global := flag.NewFlagSet("bulletin", flag.ContinueOnError)
	global.SetOutput(stderr)
	global.StringVar(&e.configPath, "config", "", "config file (default ./config.yaml, else the built-in defaults)")
	global.Usage = func() { usage(stderr) }
	if err := global.Parse(args); err != nil {
		return 2
	}
	args = global.Args()
	if len(args) == 0 {
		// Nothing asked: a cron line missing its command must not pass.
		usage(stderr)
		return exitUsage
	}
	if args[0] == "help" || args[0] == "-h" {
		if len(args) > 1 {
			if c := find(args[1]); c != nil {
				fs := c.flagSet(e)
				c.setup(fs)
				fs.SetOutput(stdout)
				fs.Usage()
				return 0
			}
		}
		usage(stdout)
		return 0
	}
	c := find(args[0])
	if c == nil {
		fmt.Fprintf(stderr, "bulletin: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	fs := c.flagSet(e)
	do := c.setup(fs)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := do(ctx, e, fs.Args()); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "bulletin %s: %v\n", c.name, err)
			fs.Usage()
			return 2
		}
		fmt.Fprintf(stderr, "bulletin %s: %v\n", c.name, err)
		return exitCode(err)
	}
	return 0
}

// exitCode is exitUndelivered when every error in err is about deliveries
// (failed, pending after retries, a paused send), else exitFailed.
func exitCode(err error) int {
	if errs, ok := err.(interface{ Unwrap() []error }); ok {
		code := exitOK
		for _, e := range errs.Unwrap() {
			if e != nil {
				code = max(code, exitCode(e))
				if code == exitFailed {
					return exitFailed
				}
			}
		}
		if code != exitOK {
			return code
		}
	}
	if errors.Is(err, bulletin.ErrUndelivered) || errors.Is(err, newsletter.ErrPaused) {
		return exitUndelivered
	}
	if errors.As(err, new(tempFailure)) {
		return exitTempFail
	}
	return exitFailed
}

func (c *command) flagSet(e *env) *flag.FlagSet {
	fs := flag.NewFlagSet("bulletin "+c.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	// --config is accepted after the command too, where people often put it.
	fs.StringVar(&e.configPath, "config", e.configPath, "config file")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: bulletin %s [flags] %s\n\n%s\n\nflags:\n", c.name, c.args, c.summary)
		fs.PrintDefaults()
	}
	return fs
}

func find(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: bulletin [--config FILE] COMMAND [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	sorted := append([]command(nil), commands...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	for _, c := range sorted {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.short)
	}
	fmt.Fprintln(w, "\nRun \"bulletin help COMMAND\" for a command's flags.")
}

// writeOut gives write the file named by path[0], or standard output when
// path is empty. A file is only reported written once it is closed without
// error: a full disk shows at Close.
func (e *env) writeOut(path []string, write func(io.Writer) error) error {
	if len(path) == 0 {
		return write(e.stdout)
	}
	f, err := os.Create(path[0])
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// usageError marks an error in how a command was called.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }
