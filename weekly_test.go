package bulletin

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/smtptest"
	"github.com/bulletin-app/bulletin/internal/storetest"
	"github.com/bulletin-app/bulletin/store"
)

// topics are six stories that tell nothing alike, so that none is taken
// for a copy of another.
var topics = []string{
	"The bakery on the market square won a national prize for its rye bread, baked with a starter kept since 1962.",
	"Volunteers pulled two tonnes of plastic, fishing line and scooters out of the river during Saturday's clean-up.",
	"The tram line to the university opened two months early and within its budget of 92 million euros.",
	"Heat pump grants ran out within three weeks as applications doubled; late applicants join a waiting list.",
	"The library will open on Sunday afternoons from January after a petition gathered four thousand signatures.",
	"A storm on Tuesday night brought down trees across the northern suburbs and closed two schools for a day.",
}

// TestWeeklyDigestOverTwoWeeks runs the pipeline over two weeks on a clock
// the test moves: an issue each Monday and Thursday morning, the weekly
// job each Monday after the issue. One subscriber takes every issue, one
// the weekly digest, one every issue but paused until the Wednesday of
// the second week; the weekly job runs each Sunday evening. Counted at the
// SMTP server, each gets exactly what they
// chose, once, however often the jobs run again.
func TestWeeklyDigestOverTwoWeeks(t *testing.T) {
	ctx := context.Background()
	srv := smtptest.Start(t)
	dir := t.TempDir()
	articles := filepath.Join(dir, "articles")
	if err := os.Mkdir(articles, 0o755); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf("sources:\n  - name: test\n    folder: %s\n"+
		"subscribers:\n  - Every Issue <every@example.org>\n  - Weekly Reader <weekly@example.org>\n  - Paused Reader <paused@example.org>\n"+
		"site:\n  url: https://news.example.org/\n  title: Town News\n"+
		"newsletter:\n  smtp:\n    host: %s\n    port: %d\n    tls: none\n", articles, srv.Host, srv.Port)
	cfg, err := LoadConfig(writeConfig(t, dir, body))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database.URL = storetest.DatabaseURL(t)
	app, err := Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })

	now := time.Date(2026, 11, 2, 7, 0, 0, 0, time.UTC) // Monday, 07:00
	clock := func() time.Time { return now }
	app.Now = clock
	app.Store.SetClock(clock)
	if err := app.AddConfiguredSubscribers(ctx); err != nil {
		t.Fatal(err)
	}
	setPrefs := func(email string, c store.Cadence, until time.Time) {
		t.Helper()
		sub, err := app.Store.SubscriberByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		if err := app.Store.SetPreferences(ctx, sub.ID, c, until); err != nil {
			t.Fatal(err)
		}
	}
	setPrefs("weekly@example.org", store.CadenceWeekly, time.Time{})
	pauseEnds := time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC) // the second Wednesday
	setPrefs("paused@example.org", store.CadenceIssue, pauseEnds)

	stories := 0
	issueDay := func(n int) {
		t.Helper()
		for range n {
			stories++
			text := fmt.Sprintf("Story %d of the town\n\n%s\n", stories, topics[stories-1])
			if err := os.WriteFile(filepath.Join(articles, fmt.Sprintf("story-%02d.txt", stories)), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := app.Run(ctx)
		if err != nil || rep.Issue.Number == 0 {
			t.Fatalf("%s: run: issue %d, %v\n%s", now.Format("Mon 2 Jan"), rep.Issue.Number, err, rep)
		}
		// Nothing new: running again sends nothing.
		if rep, err := app.Run(ctx); err != nil || rep.Issue.Number != 0 || (rep.Sent != nil && rep.Sent.Sent != 0) {
			t.Fatalf("%s: a second run: %+v, %v", now.Format("Mon 2 Jan"), rep.Sent, err)
		}
	}
	weekly := func() {
		t.Helper()
		for range 2 { // the second run finds the digest built and sent
			if _, err := app.SendWeekly(ctx); err != nil {
				t.Fatalf("%s: weekly: %v", now.Format("Mon 2 Jan"), err)
			}
		}
	}

	issueDay(2) // issue 1, Monday of week 1, 07:00
	now = now.Add(3 * 24 * time.Hour)
	issueDay(1) // issue 2, Thursday
	now = now.Add(3*24*time.Hour + 13*time.Hour)
	weekly() // Sunday 20:00: the digest of issues 1 and 2
	now = now.Add(11 * time.Hour)
	issueDay(2) // issue 3, Monday of week 2
	now = now.Add(3 * 24 * time.Hour)
	issueDay(1) // issue 4, Thursday: the pause has ended
	now = now.Add(3*24*time.Hour + 13*time.Hour)
	weekly() // the digest of issues 3 and 4
	now = now.Add(7 * 24 * time.Hour)
	weekly() // a week with no issue: no digest

	got := map[string][]string{}
	for _, m := range srv.Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		for _, to := range m.To {
			got[strings.Trim(to, "<>")] = append(got[strings.Trim(to, "<>")], subject)
		}
	}
	for who, subjects := range got {
		t.Logf("%s received %d: %q", who, len(subjects), subjects)
	}
	want := map[string][]string{
		"every@example.org":  {"Story 2 of the town, and 1 more story", "Story 3 of the town", "Story 5 of the town, and 1 more story", "Story 6 of the town"},
		"weekly@example.org": {"The week in Town News: 1–8 November 2026", "The week in Town News: 8–15 November 2026"},
		"paused@example.org": {"Story 6 of the town"},
	}
	for who, subjects := range want {
		if strings.Join(got[who], "\n") != strings.Join(subjects, "\n") {
			t.Errorf("%s received %q; want %q", who, got[who], subjects)
		}
	}
	// Each digest carries its week's lead stories and no other, and says
	// which issue each is from.
	var digests []string
	for _, m := range srv.Messages() {
		if strings.Trim(m.To[0], "<>") == "weekly@example.org" {
			digests = append(digests, string(m.Data))
		}
	}
	for i, stories := range [][]int{{1, 2, 3}, {4, 5, 6}} {
		if i >= len(digests) {
			break
		}
		for n := 1; n <= 6; n++ {
			has := strings.Contains(digests[i], fmt.Sprintf("Story %d of the town", n))
			if want := n >= stories[0] && n <= stories[len(stories)-1]; has != want {
				t.Errorf("digest %d: story %d there: %v, want %v", i+1, n, has, want)
			}
		}
		if !strings.Contains(digests[i], "Issue ") || !strings.Contains(digests[i], "/preferences?token=") {
			t.Errorf("digest %d without its issues or the preferences link", i+1)
		}
	}
}
