package schedule

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/shutdown"
	"github.com/bulletin-app/bulletin/internal/storetest"
	"github.com/bulletin-app/bulletin/store"
)

// TestSignalHelper is the process that TestSignals stops: a scheduler
// wired as `bulletin serve` wires it.
func TestSignalHelper(t *testing.T) {
	path := os.Getenv("BULLETIN_SIGNAL_HELPER_DB")
	if path == "" {
		return // not a check by itself; TestSignals runs it
	}
	st, err := store.Open(context.Background(), path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	job := func(ctx context.Context) (string, error) {
		fmt.Println("started")
		if os.Getenv("BULLETIN_SIGNAL_HELPER_MODE") == "finish" {
			time.Sleep(300 * time.Millisecond) // a send that ignores the stop, as it should
			return "finished", nil
		}
		<-ctx.Done()
		return "", ctx.Err()
	}
	s, err := New(st, []JobSpec{{Name: "issue", Spec: "@every 1s", Run: job}}, Options{Grace: 20 * time.Second, Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// As cmd/bulletin does it: the scheduler, made later, registers its
	// Interrupt through the context.
	ctx, stop := shutdown.SignalContext(context.Background(), log)
	defer stop()
	if err := s.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	st.Close()
	os.Exit(0)
}

func TestSignals(t *testing.T) {
	for _, tc := range []struct {
		mode    string
		signals int
		code    int
		ok      bool
		errText string
	}{
		{mode: "finish", signals: 1, code: 0, ok: true},
		{mode: "block", signals: 2, code: 1, errText: ErrInterrupted.Error()},
	} {
		t.Run(fmt.Sprintf("%d signals", tc.signals), func(t *testing.T) {
			path := storetest.URL(t)
			cmd := exec.Command(os.Args[0], "-test.run=^TestSignalHelper$")
			cmd.Env = append(os.Environ(), "BULLETIN_SIGNAL_HELPER_DB="+path, "BULLETIN_SIGNAL_HELPER_MODE="+tc.mode)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewScanner(out)
			if !lines.Scan() || lines.Text() != "started" {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("the job did not start: %q\n%s", lines.Text(), stderr.String())
			}
			for i := range tc.signals {
				if i > 0 {
					time.Sleep(200 * time.Millisecond) // two separate signals, not one pending twice
				}
				cmd.Process.Signal(syscall.SIGTERM)
			}
			for lines.Scan() {
			}
			err = cmd.Wait()
			code := 0
			var exitErr *exec.ExitError
			if errors.As(err, &exitErr) {
				code = exitErr.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Fatalf("exit status %d; want %d\n%s", code, tc.code, stderr.String())
			}

			st := openStore(t, path, nil)
			r, err := st.LastJobRun(context.Background(), "issue")
			if err != nil {
				t.Fatal(err)
			}
			if r.Finished.IsZero() || r.OK != tc.ok || r.Error != tc.errText {
				t.Errorf("recorded run %+v; want finished, ok %v, error %q", r, tc.ok, tc.errText)
			}
			if err := st.Lock(context.Background(), "issue", "next", time.Minute); err != nil {
				t.Errorf("the lease outlived the process: %v", err)
			}
		})
	}
}
