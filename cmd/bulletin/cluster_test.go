package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/smtptest"
	"github.com/bulletin-app/bulletin/internal/storetest/testdb"
	"github.com/bulletin-app/bulletin/store"
)

// TestSendSharedByProcessesOneKilled sends one issue to 20,000 subscribers
// from three bulletin send processes on one PostgreSQL, SIGKILLs one of
// them in the middle of its work, and runs a fourth send after. Counted at
// the SMTP server: nobody gets two copies, every row of the ledger is sent
// but the few the killed process left unconfirmed, and the work was
// divided.
func TestSendSharedByProcessesOneKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 20,000 messages from four processes; not in -short")
	}
	const subscribers, concurrency = 20000, 4
	pg := testdb.URL(t, testdb.Postgres)
	t.Setenv("BULLETIN_DATABASE_URL", "")
	bin := buildBinary(t)
	srv := smtptest.Start(t)
	srv.SetDiscard(true) // counts per recipient, without keeping 20,000 messages
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.yaml"), fmt.Sprintf(`database:
  url: %s
sources:
  - name: local
    folder: articles
subscribers:
  - reader00000@example.org
newsletter:
  concurrency: %d
  smtp:
    host: %s
    port: %d
    tls: none
`, pg, concurrency, srv.Host, srv.Port))
	writeFile(t, filepath.Join(dir, "articles", "one.txt"), goodArticle)
	// The issue, sent to the first subscriber; then the others.
	if code, stdout, stderr := runIn(t, dir, "run"); code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var csv strings.Builder
	csv.WriteString("email\n")
	for i := 1; i < subscribers; i++ {
		fmt.Fprintf(&csv, "reader%05d@example.org\n", i)
	}
	writeFile(t, filepath.Join(dir, "subscribers.csv"), csv.String())
	if code, stdout, stderr := runIn(t, dir, "subscribers", "import", "--confirmed", "subscribers.csv"); code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, stdout, stderr)
	}

	type sender struct {
		cmd  *exec.Cmd
		out  *syncBuffer
		done chan error
	}
	start := func() *sender {
		cmd := exec.Command(bin, "send")
		cmd.Dir = dir
		s := &sender{cmd: cmd, out: &syncBuffer{}, done: make(chan error, 1)}
		cmd.Stdout, cmd.Stderr = s.out, s.out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill() })
		go func() { s.done <- cmd.Wait() }()
		return s
	}
	senders := []*sender{start(), start(), start()}
	// Kill the first once a fifth of the list is out and it has sent its
	// part: the test server sees each process's connections.
	killed := senders[0]
	deadline := time.Now().Add(2 * time.Minute)
	for srv.Total() < subscribers/5 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d messages after 2 minutes\n%s", srv.Total(), killed.out)
		}
		select {
		case err := <-killed.done:
			t.Fatalf("the first sender ended before it could be killed (%v)\n%s", err, killed.out)
		default:
		}
		time.Sleep(20 * time.Millisecond)
	}
	killed.cmd.Process.Kill()
	<-killed.done
	atKill := srv.Total()

	sentBy := regexp.MustCompile(`issue 1: (\d+) sent, (\d+) failed`)
	survivorsSent := 0
	for i, s := range senders[1:] {
		select {
		case err := <-s.done:
			if err != nil {
				t.Fatalf("sender %d: %v\n%s", i+2, err, s.out)
			}
		case <-time.After(3 * time.Minute):
			t.Fatalf("sender %d did not finish\n%s", i+2, s.out)
		}
		m := sentBy.FindStringSubmatch(s.out.String())
		if m == nil {
			t.Fatalf("sender %d printed no summary:\n%s", i+2, s.out)
		}
		n, _ := strconv.Atoi(m[1])
		if n == 0 || m[2] != "0" {
			t.Errorf("sender %d: %s; want a share of the work and no failure", i+2, m[0])
		}
		survivorsSent += n
		t.Logf("sender %d: %s", i+2, lastLine(s.out.String()))
	}
	// The killed process's chunk was taken up by the others at once: the
	// fourth run finds nothing left to send.
	code, stdout, stderr := runIn(t, dir, "send")
	if code != 0 || !strings.Contains(stdout, "issue 1: 0 sent") {
		t.Errorf("fourth send: exit %d\n%s\n%s", code, stdout, stderr)
	}
	t.Logf("fourth send: %s", strings.TrimSpace(stdout))

	// Counted at the server.
	counts := srv.Counts()
	twice := 0
	for rcpt, c := range counts {
		if c > 1 {
			twice++
			if twice <= 5 {
				t.Errorf("%s received %d copies", rcpt, c)
			}
		}
	}
	st, err := store.Open(context.Background(), pg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.DeliveryCounts(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	unconfirmed, err := st.Deliveries(context.Background(), 1, store.DeliverySending, false, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The killed process had at most one row in "sending" per connection
	// (docs/delivery.md); every other row is sent.
	if c[store.DeliverySent]+c[store.DeliverySending] != subscribers || c[store.DeliveryPending] != 0 || c[store.DeliveryFailed] != 0 ||
		len(unconfirmed) > concurrency {
		t.Errorf("ledger %v; want %d rows sent but at most %d left sending", c, subscribers, concurrency)
	}
	lost := 0
	sentRows := map[string]bool{}
	for _, d := range unconfirmed {
		sentRows[d.Email] = true
		if counts[strings.ToLower(d.Email)] == 0 {
			lost++
		}
	}
	if got := len(counts); got != subscribers-lost {
		t.Errorf("%d subscribers received the issue; want %d (all but the %d unconfirmed rows that never arrived)", got, subscribers-lost, lost)
	}
	readers := map[string]bool{}
	for i := range subscribers {
		readers[fmt.Sprintf("reader%05d@example.org", i)] = true
	}
	for rcpt := range counts {
		if !readers[rcpt] {
			t.Errorf("the server received a message for %s, who is no subscriber", rcpt)
		}
	}
	for i := range subscribers {
		email := fmt.Sprintf("reader%05d@example.org", i)
		if counts[email] == 0 && !sentRows[email] {
			t.Errorf("%s never received the issue, and the ledger does not say it is unconfirmed", email)
			break
		}
	}
	killedShare := srv.Total() - survivorsSent - 1 // the run's message to the first subscriber
	if killedShare <= 0 || survivorsSent == 0 {
		t.Errorf("the killed sender delivered %d, the other two %d: the work was not divided", killedShare, survivorsSent)
	}
	t.Logf("%d messages at the kill; the killed sender delivered %d, the other two %d; %d rows unconfirmed, %d of them never arrived",
		atKill, killedShare, survivorsSent, len(unconfirmed), lost)
}

func lastLine(s string) string {
	var last string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			last = l
		}
	}
	return last
}
