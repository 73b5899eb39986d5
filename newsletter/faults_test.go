package newsletter

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/internal/smtptest"
	"github.com/bulletin-app/bulletin/store"
)

func TestSendRetriesTemporaryFailures(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	emails := addSubscribers(t, st, 6)
	srv := smtptest.Start(t)
	srv.AddFault(smtptest.Fault{Rcpts: []string{emails[0]}, Times: 2, Code: 451, Enhanced: [3]int{4, 3, 0}})
	srv.AddFault(smtptest.Fault{Rcpts: []string{emails[1]}, Times: 1, Stage: "data", Code: 421, Enhanced: [3]int{4, 4, 2}})
	// A connection lost before the end of DATA is retried; one lost after
	// it is not (TestLostReplyIsNotSentAgain).
	srv.AddFault(smtptest.Fault{Rcpts: []string{emails[2]}, Times: 1, Drop: true})
	n := newTestNewsletter(t, st, smtpOptions(t, srv))
	sum, err := n.Send(ctx, SendRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sent != 6 || sum.Failed != 0 {
		t.Fatalf("summary %+v, want all 6 sent after retries", sum)
	}
	for _, e := range emails {
		if c := srv.Count(e); c != 1 {
			t.Errorf("%s got %d copies", e, c)
		}
	}
	if a := srv.Attempts(emails[0]); a != 3 {
		t.Errorf("%s: %d attempts, want 3 (two 451s, then 250)", emails[0], a)
	}
	rows, _ := st.Deliveries(ctx, 1, store.DeliverySent, false, 0, 0)
	for _, d := range rows {
		if d.Email == emails[0] && d.Attempts != 1 {
			// RCPT failures happen before the row is claimed.
			t.Errorf("attempts recorded %d", d.Attempts)
		}
		if d.Email == emails[1] && d.Attempts != 2 {
			t.Errorf("%s: %d attempts recorded, want 2", d.Email, d.Attempts)
		}
	}
}

func TestSendBouncesAndFailures(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	emails := addSubscribers(t, st, 4)
	srv := smtptest.Start(t)
	srv.AddFault(smtptest.Fault{Rcpts: []string{emails[0]}, Code: 550, Enhanced: [3]int{5, 1, 1}})
	srv.AddFault(smtptest.Fault{Rcpts: []string{emails[1]}, Code: 552, Enhanced: [3]int{5, 3, 4}, Stage: "data"})
	n := newTestNewsletter(t, st, smtpOptions(t, srv))
	sum, err := n.Send(ctx, SendRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sent != 2 || sum.Failed != 2 || sum.Bounced != 1 {
		t.Fatalf("summary %+v", sum)
	}
	if s, _ := st.SubscriberByEmail(ctx, emails[0]); s.Status != store.StatusBounced {
		t.Errorf("5.1.1 left subscriber %s", s.Status)
	}
	if s, _ := st.SubscriberByEmail(ctx, emails[1]); s.Status != store.StatusConfirmed {
		t.Errorf("5.3.4 changed subscriber to %s", s.Status)
	}
	if a := srv.Attempts(emails[0]); a != 1 {
		t.Errorf("5xx retried: %d attempts", a)
	}

	// --resend-failed retries the failed row of a still confirmed
	// subscriber and nothing else.
	srv.ClearFaults()
	again, err := n.Send(ctx, SendRequest{ResendFailed: true})
	if err != nil {
		t.Fatal(err)
	}
	if again.Sent != 1 || again.Skipped != 1 || srv.Count(emails[1]) != 1 || srv.Count(emails[0]) != 0 || srv.Total() != 3 {
		t.Fatalf("resend failed: %+v, server total %d", again, srv.Total())
	}
}

func TestSendPausesAfterConsecutiveFailures(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	addSubscribers(t, st, 50)
	srv := smtptest.Start(t)
	srv.AddFault(smtptest.Fault{Code: 554, Enhanced: [3]int{5, 7, 1}})
	o := smtpOptions(t, srv)
	o.PauseAfter = 5
	o.Concurrency = 1
	n := newTestNewsletter(t, st, o)
	sum, err := n.Send(ctx, SendRequest{})
	if !errors.Is(err, ErrPaused) {
		t.Fatalf("err %v, want ErrPaused", err)
	}
	if sum.Failed != 5 || sum.Remaining != 45 || !strings.Contains(sum.PauseReason, "554") {
		t.Fatalf("summary %+v", sum)
	}
	srv.ClearFaults()
	sum, err = n.Send(ctx, SendRequest{})
	if err != nil || sum.Sent != 45 {
		t.Fatalf("after the pause: %+v %v", sum, err)
	}
}

func TestDryRunAndTestCopy(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	addSubscribers(t, st, 5)
	o := testOptions(t)
	n := newTestNewsletter(t, st, o)
	sum, err := n.Send(ctx, SendRequest{DryRun: true})
	if err != nil || sum.Total != 5 {
		t.Fatalf("dry run: %+v %v", sum, err)
	}
	if files, _ := filepath.Glob(filepath.Join(o.OutboxDir, "*")); len(files) != 0 {
		t.Fatalf("dry run wrote %v", files)
	}
	if c, _ := st.DeliveryCounts(ctx, 1); len(c) != 0 {
		t.Fatalf("dry run wrote the ledger: %v", c)
	}
	if _, err := n.Send(ctx, SendRequest{To: "Editor <editor@example.org>"}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(o.OutboxDir, "test-issue-0001-*.eml"))
	if len(files) != 1 {
		t.Fatalf("test copy files %v", files)
	}
	pm := parseMessage(t, readFile(t, files[0]))
	subj, _ := mimeDecoder.DecodeHeader(pm.header.Get("Subject"))
	if !strings.HasPrefix(subj, "[TEST] ") {
		t.Errorf("test copy subject %q", subj)
	}
	if c, _ := st.DeliveryCounts(ctx, 1); len(c) != 0 {
		t.Fatalf("test copy wrote the ledger: %v", c)
	}
}

// TestPipelinedRejectionsKeepTheConnection sends over one connection to a
// server that offers PIPELINING, with recipients refused in between: the
// replies to the pipelined MAIL, RCPT and DATA must stay in step, so the
// same connection goes on delivering the others.
func TestPipelinedRejectionsKeepTheConnection(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	emails := addSubscribers(t, st, 6)
	srv := smtptest.Start(t)
	srv.AddFault(smtptest.Fault{Rcpts: []string{emails[1]}, Code: 550, Enhanced: [3]int{5, 1, 1}})
	srv.AddFault(smtptest.Fault{Rcpts: []string{emails[3]}, Code: 554, Enhanced: [3]int{5, 7, 1}})
	srv.AddFault(smtptest.Fault{Rcpts: []string{emails[4]}, Times: 1, Code: 451, Enhanced: [3]int{4, 3, 0}})
	o := smtpOptions(t, srv)
	o.Concurrency = 1
	n := newTestNewsletter(t, st, o)
	sum, err := n.Send(ctx, SendRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sent != 4 || sum.Failed != 2 || sum.Bounced != 1 {
		t.Fatalf("summary %+v, want 4 sent, 2 failed of which 1 bounced", sum)
	}
	for i, e := range emails {
		want := 1
		if i == 1 || i == 3 {
			want = 0
		}
		if c := srv.Count(e); c != want {
			t.Errorf("%s got %d copies, want %d", e, c, want)
		}
	}
	if c := srv.Conns(); c != 1 {
		t.Errorf("%d connections, want 1: a refused recipient must not cost the connection", c)
	}
}

// TestResendFailedRetriesBeforeTheClaim: with --resend-failed, a temporary
// failure before the row is claimed (a 451 to RCPT TO) leaves the row
// "failed", so the retry must claim it from "failed" again, not skip it.
func TestResendFailedRetriesBeforeTheClaim(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	emails := addSubscribers(t, st, 2)
	srv := smtptest.Start(t)
	srv.AddFault(smtptest.Fault{Rcpts: []string{emails[0]}, Times: 1, Code: 552, Enhanced: [3]int{5, 3, 4}, Stage: "data"})
	n := newTestNewsletter(t, st, smtpOptions(t, srv))
	if sum, err := n.Send(ctx, SendRequest{}); err != nil || sum.Failed != 1 {
		t.Fatalf("first send: %+v %v", sum, err)
	}
	srv.AddFault(smtptest.Fault{Rcpts: []string{emails[0]}, Times: 1, Code: 451, Enhanced: [3]int{4, 3, 0}})
	sum, err := n.Send(ctx, SendRequest{ResendFailed: true})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sent != 1 || sum.Skipped != 0 || srv.Count(emails[0]) != 1 {
		t.Fatalf("resend failed: %+v, %s got %d copies", sum, emails[0], srv.Count(emails[0]))
	}
	if c, _ := st.DeliveryCounts(ctx, 1); c[store.DeliverySent] != 2 {
		t.Fatalf("ledger %v, want both sent", c)
	}
}

// TestDryRunCountsWhatASendWouldSend: a dry run after a send with a failure
// must not count the failed row as still to send: a send would not send it.
func TestDryRunCountsWhatASendWouldSend(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	emails := addSubscribers(t, st, 3)
	srv := smtptest.Start(t)
	srv.AddFault(smtptest.Fault{Rcpts: []string{emails[0]}, Code: 552, Enhanced: [3]int{5, 3, 4}, Stage: "data"})
	n := newTestNewsletter(t, st, smtpOptions(t, srv))
	if sum, err := n.Send(ctx, SendRequest{}); err != nil || sum.Sent != 2 || sum.Failed != 1 {
		t.Fatalf("send: %+v %v", sum, err)
	}
	dry, err := n.Send(ctx, SendRequest{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	again, err := n.Send(ctx, SendRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if dry.Total != again.Total || dry.Total != 0 || dry.AlreadySent != 2 {
		t.Fatalf("dry run %+v, but the send after it %+v", dry, again)
	}
}
