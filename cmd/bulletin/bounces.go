package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/bulletin-app/bulletin"
)

// maxPipedMessage bounds what bounces process reads: a bounce quoting a
// whole issue is well under it.
const maxPipedMessage = 32 << 20

func init() {
	register(command{
		name:  "bounces",
		short: "read a bounce or complaint by hand, or the bounce mailbox now",
		args:  "process FILE.eml|- | mailbox",
		summary: "Bounces and complaints that arrive after the send:\n" +
			"  bounces process FILE.eml   read one message (- for standard input, as an MTA\n" +
			"      pipes it) and record it on the delivery it names, as the bounces job does:\n" +
			"      a hard bounce marks the subscriber bounced, soft bounces count, a\n" +
			"      complaint unsubscribes and suppresses. Exit status 0 when it was a report\n" +
			"      (recorded, recorded before, or about no failure); 1 when it is no report\n" +
			"      about this newsletter's mail (unless --unhandled keeps it); 75\n" +
			"      (EX_TEMPFAIL) when it could not be recorded now, for the MTA to retry.\n" +
			"  bounces mailbox            read the bounce mailbox now (newsletter.bounces.mailbox),\n" +
			"      as the scheduled bounces job does",
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			unhandled := fs.String("unhandled", "", "with process: keep a message that is no usable report as a file in this folder, and exit 0")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) == 0 {
					return usagef("bounces process FILE.eml|- or bounces mailbox?")
				}
				verb, args := args[0], args[1:]
				if err := fs.Parse(args); err != nil {
					return usagef("%v", err)
				}
				args = fs.Args()
				switch verb {
				case "process":
					if len(args) != 1 {
						return usagef("bounces process takes one file, or - for standard input")
					}
					app, err := openApp(ctx, e)
					if err != nil {
						// A config or a database to fix: an MTA keeps the
						// message meanwhile.
						return tempFailure{err}
					}
					defer app.Close()
					return processBounce(ctx, e, app, args[0], *unhandled)
				case "mailbox":
					if len(args) != 0 {
						return usagef("bounces mailbox takes no arguments")
					}
					app, err := openApp(ctx, e)
					if err != nil {
						return err
					}
					defer app.Close()
					rep, err := app.BouncesNow(ctx)
					fmt.Fprintf(e.stdout, "bounces: %s\n", rep)
					return err
				}
				return usagef("unknown bounces command %q", verb)
			}
		},
	})
}

func processBounce(ctx context.Context, e *env, app *bulletin.App, name, keepDir string) error {
	in := io.Reader(os.Stdin)
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err // a wrong path, not a passing trouble
		}
		defer f.Close()
		in = f
	}
	raw, err := io.ReadAll(io.LimitReader(in, maxPipedMessage))
	if err != nil {
		return err
	}
	res, err := app.ProcessBounceMessage(ctx, bytes.NewReader(raw))
	switch {
	case errors.Is(err, bulletin.ErrUnusable) && keepDir != "":
		path, kerr := keepMessage(keepDir, raw)
		if kerr != nil {
			return tempFailure{fmt.Errorf("%v; and keeping it: %w", err, kerr)}
		}
		fmt.Fprintf(e.stdout, "kept %s: %v\n", path, err)
		return nil
	case errors.Is(err, bulletin.ErrUnusable):
		return err
	case err != nil:
		return tempFailure{err}
	}
	fmt.Fprintln(e.stdout, res)
	return nil
}

// keepMessage writes a message to a folder under a name of its content,
// whole or not at all.
func keepMessage(dir string, raw []byte) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	sum := sha256.Sum256(raw)
	path := filepath.Join(dir, "unhandled-"+hex.EncodeToString(sum[:8])+".eml")
	f, err := os.CreateTemp(dir, ".tmp-*.eml")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(raw); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(f.Name(), path)
}
