package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/design"
	"github.com/bulletin-app/bulletin/internal/smtptest"
	"github.com/bulletin-app/bulletin/internal/storetest"
	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/store"
	"github.com/bulletin-app/bulletin/templates"
)

// signupServer is the sign-up form of a server behind a reverse proxy on
// 127.0.0.1, with its own store on dbURL and its own confirmation worker
// when run is set.
type signupServer struct {
	st   *store.Store
	srv  *httptest.Server
	stop func()
}

func startSignupServer(t *testing.T, dbURL string, mail *smtptest.Server, opts newsletter.SignupOptions, run bool) *signupServer {
	t.Helper()
	st, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	nl, err := newsletter.New(st, newsletter.Options{
		SiteTitle: "Bulletin", From: "Bulletin <news@bulletin.example>", SiteURL: "https://bulletin.example",
		Secret:  []byte("0123456789abcdef0123456789abcdef"),
		SMTP:    newsletter.SMTP{Host: mail.Host, Port: mail.Port, TLS: "none"},
		Signups: opts,
	})
	if err != nil {
		t.Fatal(err)
	}
	subs, err := NewSubscriptions(nl, design.Site{Title: "Bulletin", URL: "https://bulletin.example/"}, templates.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	subs.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	mux := http.NewServeMux()
	subs.Routes(mux)
	s := &signupServer{st: st, srv: httptest.NewServer(mux)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	if run {
		go func() { done <- nl.RunSignups(ctx) }()
	} else {
		done <- nil
	}
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			s.srv.Close()
			cancel()
			<-done
			st.Close()
		})
	}
	t.Cleanup(s.stop)
	return s
}

// signUp posts the form as a visitor at client, through the proxy.
func (s *signupServer) signUp(t *testing.T, client, email, name string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/subscribe",
		strings.NewReader(url.Values{"email": {email}, "name": {name}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", client)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (s *signupServer) waitQueued(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		n, err := s.st.CountSignups(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sign-ups queued, want %d", n, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSignupFloodOpensFewConnections: 400 sign-ups from 400 addresses
// opened 390 SMTP connections at once, one per sign-up. Now they wait in
// a queue that sends two at a time; every visitor gets the reply at once,
// while the mail server holds every message, and every address gets its
// one confirmation in the end.
func TestSignupFloodOpensFewConnections(t *testing.T) {
	mail := smtptest.Start(t)
	s := startSignupServer(t, storetest.URL(t), mail, newsletter.SignupOptions{Concurrency: 2, Rate: 1000, MaxQueued: 1000}, true)
	release := mail.Hold()
	defer release()
	const visitors = 400
	var wg sync.WaitGroup
	codes := make([]int, visitors)
	next := make(chan int)
	for range 40 {
		wg.Go(func() {
			for i := range next {
				codes[i] = s.signUp(t, fmt.Sprintf("198.18.%d.%d", i/250, i%250+1), fmt.Sprintf("visitor%d@example.org", i), "")
			}
		})
	}
	for i := range visitors {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusAccepted {
			t.Fatalf("visitor %d: status %d, want 202 (each has an address of its own: no rate limit)", i, c)
		}
	}
	// Every reply came while the mail server accepted nothing.
	if n := mail.Total(); n != 0 {
		t.Fatalf("%d messages accepted while the server held them", n)
	}
	time.Sleep(200 * time.Millisecond) // let a sender that does not wait open more
	if open := mail.Open(); open > 2 {
		t.Errorf("%d SMTP connections open at once, want at most 2", open)
	}
	release()
	s.waitQueued(t, 0)
	if n := mail.Total(); n != visitors {
		t.Errorf("%d confirmations sent, want %d", n, visitors)
	}
	for i := range visitors {
		if c := mail.Count(fmt.Sprintf("visitor%d@example.org", i)); c != 1 {
			t.Fatalf("visitor%d got %d confirmations", i, c)
		}
	}
	// Counted at the server, a connection the sender has closed stays
	// open until the server reads its end, so MaxOpen may see one more
	// than the sender ever had; transactions are counted exactly.
	t.Logf("%d sign-ups: at most %d SMTP connections open and %d transactions under way at once", visitors, mail.MaxOpen(), mail.MaxBusy())
	if m := mail.MaxBusy(); m > 2 {
		t.Errorf("%d messages were being sent at once, want at most 2", m)
	}
}

// TestSignupRateIsBounded: confirmations start at most Rate a second,
// however many wait.
func TestSignupRateIsBounded(t *testing.T) {
	mail := smtptest.Start(t)
	s := startSignupServer(t, storetest.URL(t), mail, newsletter.SignupOptions{Concurrency: 4, Rate: 10}, true)
	for i := range 12 {
		if c := s.signUp(t, fmt.Sprintf("198.18.1.%d", i+1), fmt.Sprintf("r%d@example.org", i), ""); c != http.StatusAccepted {
			t.Fatalf("status %d", c)
		}
	}
	s.waitQueued(t, 0)
	at := mail.AcceptedAt()
	if len(at) != 12 {
		t.Fatalf("%d confirmations, want 12", len(at))
	}
	// 12 starts at 10 a second, the first at once: 1.1 s from the first
	// to the last, give or take one message's time.
	if span := at[11].Sub(at[0]); span < 900*time.Millisecond {
		t.Errorf("12 confirmations went out in %v; at 10 a second they take over 1 s", span)
	}
}

// TestSignupQueueSurvivesRestart: sign-ups taken while no confirmation
// could go out are sent by the next process on the same database.
func TestSignupQueueSurvivesRestart(t *testing.T) {
	mail := smtptest.Start(t)
	dbURL := storetest.URL(t)
	first := startSignupServer(t, dbURL, mail, newsletter.SignupOptions{Rate: 1000}, false)
	for i := range 3 {
		if c := first.signUp(t, "198.18.2.1", fmt.Sprintf("later%d@example.org", i), ""); c != http.StatusAccepted {
			t.Fatalf("status %d", c)
		}
	}
	first.waitQueued(t, 3)
	first.stop()
	if n := mail.Total(); n != 0 {
		t.Fatalf("%d sent before the restart", n)
	}
	second := startSignupServer(t, dbURL, mail, newsletter.SignupOptions{Rate: 1000}, true)
	second.waitQueued(t, 0)
	for i := range 3 {
		if c := mail.Count(fmt.Sprintf("later%d@example.org", i)); c != 1 {
			t.Errorf("later%d: %d confirmations after the restart, want 1", i, c)
		}
	}
}

// TestSignupQueueIsBounded: past MaxQueued waiting sign-ups, a visitor is
// asked to come back, and nothing is stored.
func TestSignupQueueIsBounded(t *testing.T) {
	mail := smtptest.Start(t)
	s := startSignupServer(t, storetest.URL(t), mail, newsletter.SignupOptions{MaxQueued: 2}, false)
	var codes []int
	for i := range 3 {
		codes = append(codes, s.signUp(t, fmt.Sprintf("198.18.3.%d", i+1), fmt.Sprintf("q%d@example.org", i), ""))
	}
	if codes[0] != 202 || codes[1] != 202 || codes[2] != http.StatusServiceUnavailable {
		t.Errorf("status codes %v, want 202 202 503", codes)
	}
	s.waitQueued(t, 2)
}

// TestConfirmationDoesNotCarryTheVisitorsName: the form's name went into
// the confirmation sent to whatever address was typed: text of anyone's
// choosing, mailed to anyone. It is not in the message, head or body; the
// subscriber keeps it for the issues.
func TestConfirmationDoesNotCarryTheVisitorsName(t *testing.T) {
	mail := smtptest.Start(t)
	s := startSignupServer(t, storetest.URL(t), mail, newsletter.SignupOptions{Rate: 1000}, true)
	spam := "Cheap pills at https://pills.example/buy now"
	if c := s.signUp(t, "198.18.4.1", "victim@example.org", spam); c != http.StatusAccepted {
		t.Fatalf("status %d", c)
	}
	s.waitQueued(t, 0)
	msgs := mail.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	raw := string(msgs[0].Data)
	for _, bit := range []string{"pills", "Cheap", "Q2hlYXA"} { // and base64 of "Cheap"
		if strings.Contains(raw, bit) {
			t.Errorf("the confirmation carries the visitor's name (%q):\n%s", bit, raw)
		}
	}
	if !strings.Contains(textPart(t, msgs[0].Data), "Hello,") {
		t.Errorf("the greeting is not the nameless one:\n%s", textPart(t, msgs[0].Data))
	}
	if sub, err := s.st.SubscriberByEmail(context.Background(), "victim@example.org"); err != nil || sub.Name != spam {
		t.Errorf("stored subscriber %+v, %v; the name is kept for the issues", sub, err)
	}
}
