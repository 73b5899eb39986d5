package bulletin

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/smtptest"
	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/store"
)

// reviewApp opens an app with review on, the example articles, two
// subscribers, an in-process SMTP server and a WebSub hub that counts its
// pings.
type reviewApp struct {
	*App
	dir      string
	articles string // a copy of examples/articles, which tests add to
	smtp     *smtptest.Server
	pings    *atomic.Int32
}

func newReviewApp(t *testing.T, extra string) *reviewApp {
	t.Helper()
	srv := smtptest.Start(t)
	var pings atomic.Int32
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pings.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hub.Close)
	articles := t.TempDir()
	if err := os.CopyFS(articles, os.DirFS("examples/articles")); err != nil {
		t.Fatal(err)
	}
	app, dir := newTestApp(t, articles, fmt.Sprintf(
		"site:\n  url: https://news.example.org/\nfeeds:\n  hub: %s\ndigest:\n  review: true\n"+
			"newsletter:\n  smtp:\n    host: %s\n    port: %d\n    tls: none\n%s", hub.URL, srv.Host, srv.Port, extra))
	return &reviewApp{App: app, dir: dir, articles: articles, smtp: srv, pings: &pings}
}

// addArticle writes a new article for the next collect: text is its own
// story, so that it is not taken for a copy of another.
func (r *reviewApp) addArticle(t *testing.T, name, title, text string) {
	t.Helper()
	body := title + "\n\n" + text + "\n"
	if err := os.WriteFile(filepath.Join(r.articles, name+".txt"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// reopen closes the app and opens it again on the same config and store,
// as a restart does.
func (r *reviewApp) reopen(t *testing.T) {
	t.Helper()
	cfg := r.Config
	r.Close()
	app, err := Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	r.App = app
}

func (r *reviewApp) public(name string) string { return filepath.Join(r.dir, "public", name) }

// draft runs the pipeline once and returns the draft it built.
func (r *reviewApp) draft(t *testing.T) store.Issue {
	t.Helper()
	rep, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Issue.State != store.IssueDraft || rep.Issue.Number == 0 || rep.Sent != nil {
		t.Fatalf("run built issue #%d (%s), sent %v; want a draft, nothing sent", rep.Issue.Number, rep.Issue.State, rep.Sent)
	}
	if !strings.Contains(rep.String(), "a draft for review") {
		t.Errorf("run report does not say the issue is a draft:\n%s", rep)
	}
	return rep.Issue
}

// feedItems reads feed.json's item titles, or nil when there is no file.
func (r *reviewApp) feedItems(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(r.public(name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Items []struct {
			Title       string `json:"title"`
			ContentHTML string `json:"content_html"`
			Summary     string `json:"summary"`
		} `json:"items"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range f.Items {
		out = append(out, it.Title+"\n"+it.Summary+"\n"+it.ContentHTML)
	}
	return out
}

// TestReviewDraftIsPublishedNowhereAndMailedToNobody: with review on, a
// built issue is in no feed, on no page, pings no hub and reaches no
// inbox, whatever sends are tried, until it is approved; then it is
// published and sent, exactly once to each subscriber.
func TestReviewDraftIsPublishedNowhereAndMailedToNobody(t *testing.T) {
	ctx := context.Background()
	r := newReviewApp(t, "")
	d := r.draft(t)
	pingsAfterFirst := r.pings.Load() // the first run writes the (empty) feeds of a fresh folder

	if items := r.feedItems(t, "feed.json"); len(items) != 0 {
		t.Errorf("the entries feed holds %d items of a draft", len(items))
	}
	if items := r.feedItems(t, "issues.json"); len(items) != 0 {
		t.Errorf("the issues feed holds %d items of a draft", len(items))
	}
	if _, err := os.Stat(r.public(fmt.Sprintf("issues/%d/index.html", d.Number))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the draft has a page: %v", err)
	}
	set, err := r.BuildFeeds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := set.Document(fmt.Sprintf("/issues/%d/", d.Number)); ok {
		t.Error("serve would serve the draft's page")
	}
	if index, _ := set.Document("/"); bytes.Contains(index.Body, []byte(d.Title)) {
		t.Error("the archive's index lists the draft")
	}
	// Sends of every kind but a test copy or a dry run are refused.
	for _, req := range []newsletter.SendRequest{{Issue: d.Number}, {}, {Issue: d.Number, ResendFailed: true}} {
		if _, err := r.Send(ctx, req); !errors.Is(err, ErrWrongState) {
			t.Errorf("send %+v of a draft: %v, want ErrWrongState", req, err)
		}
	}
	// Another run: nothing new to build, the draft holds the next back, and
	// nothing is sent or published.
	rep, err := r.Run(ctx)
	if err != nil || rep.Issue.Number != 0 || rep.Sent != nil {
		t.Errorf("second run: issue #%d, sent %v, %v", rep.Issue.Number, rep.Sent, err)
	}
	if n := r.smtp.Total(); n != 0 {
		t.Fatalf("the SMTP server received %d messages of a draft", n)
	}
	if counts, _ := r.Store.DeliveryCounts(ctx, d.Number); len(counts) != 0 {
		t.Errorf("ledger rows for a draft: %v", counts)
	}
	if n := r.pings.Load(); n != pingsAfterFirst {
		t.Errorf("the hub was pinged %d times for a draft", n-pingsAfterFirst)
	}

	sum, err := r.Approve(ctx, "cli:test", d.Number)
	if err != nil || sum.Sent != 2 {
		t.Fatalf("approve: %+v, %v", sum, err)
	}
	if counts := r.smtp.Counts(); len(counts) != 2 || counts["reader@example.com"] != 1 || counts["second@example.org"] != 1 {
		t.Errorf("after approval the server received %v; want one message each", counts)
	}
	if items := r.feedItems(t, "feed.json"); len(items) != len(d.Entries) {
		t.Errorf("after approval the entries feed holds %d items, want %d", len(items), len(d.Entries))
	}
	if _, err := os.Stat(r.public(fmt.Sprintf("issues/%d/index.html", d.Number))); err != nil {
		t.Errorf("after approval, no page: %v", err)
	}
	// A publish tells the hub of each of the six feeds.
	if n := r.pings.Load(); pingsAfterFirst != 6 || n != 2*pingsAfterFirst {
		t.Errorf("the hub was told %d times on approval, %d before; want one publish's worth each", n-pingsAfterFirst, pingsAfterFirst)
	}
	is, _ := r.Issue(ctx, d.Number)
	if is.State != store.IssueSent || is.SentAt.IsZero() || is.SendAt.IsZero() {
		t.Errorf("after approval: %s, sent at %v, released at %v", is.State, is.SentAt, is.SendAt)
	}
	// Approving again, or running again, sends nothing more.
	if _, err := r.Approve(ctx, "cli:test", d.Number); !errors.Is(err, ErrWrongState) {
		t.Errorf("approving a sent issue: %v, want ErrWrongState", err)
	}
	if _, err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if n := r.smtp.Total(); n != 2 {
		t.Errorf("the server has %d messages after another run, want 2", n)
	}
	log, _ := r.AuditLog(ctx, store.AuditQuery{Issue: d.Number})
	var actions []string
	for _, e := range slices.Backward(log) {
		actions = append(actions, e.Actor+" "+e.Action)
	}
	want := []string{"job:issue issue.built", "cli:test issue.release", "cli:test issue.sent"}
	if !slices.Equal(actions, want) {
		t.Errorf("audit log %q, want %q", actions, want)
	}
}

// TestReviewOffReleasesAtOnce: without review, an issue is published and
// sent as it is built, as before, and ends sent.
func TestReviewOffReleasesAtOnce(t *testing.T) {
	ctx := context.Background()
	app, _ := newTestApp(t, "examples/articles", "")
	rep, err := app.Run(ctx)
	if err != nil || rep.Sent == nil || rep.Sent.Sent != 2 {
		t.Fatalf("run: %+v, %v", rep.Sent, err)
	}
	is, _ := app.Issue(ctx, rep.Issue.Number)
	if is.State != store.IssueSent {
		t.Errorf("issue is %s after its send, want sent", is.State)
	}
	for _, j := range app.Jobs() {
		if j.Name == JobSendScheduled {
			t.Error("the send-scheduled job runs with review off")
		}
	}
}

// mimeParts decodes a message: its subject, other headers, and the bodies
// of its text and HTML parts.
func mimeParts(t *testing.T, raw []byte) (subject string, header mail.Header, text, html string) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader = p // quoted-printable is decoded by the reader
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
			body = base64.NewDecoder(base64.StdEncoding, p)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		switch ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct {
		case "text/plain":
			text = string(b)
		case "text/html":
			html = string(b)
		}
	}
	return subject, m.Header, text, html
}

// TestReviewEditsShowEverywhereAndSurviveARestart makes each kind of edit
// through the app, restarts it, and finds every edit in the preview, the
// email the SMTP server receives, the issue's page and the feeds; the
// dropped entry goes into the next issue.
func TestReviewEditsShowEverywhereAndSurviveARestart(t *testing.T) {
	ctx := context.Background()
	r := newReviewApp(t, "")
	d := r.draft(t)
	n := d.Number
	if len(d.Entries) < 4 {
		t.Fatalf("draft has %d entries; the test needs 4", len(d.Entries))
	}
	lead, moved, edited, dropped := d.Entries[3], d.Entries[2], d.Entries[1], d.Entries[0]
	title := "The tram line, as the editor tells it"
	summary := "An editor's first sentence.\nAnd a second one."
	for _, err := range []error{
		r.SetSubject(ctx, "cli:ed", n, "Trams, bread and heat pumps"),
		r.SetIntro(ctx, "cli:ed", n, "Good morning, **readers**.\n\nSee [the map](https://example.org/map) <script>alert(1)</script>"),
		r.EditEntry(ctx, "cli:ed", n, edited.ID, &title, &summary),
		r.EditEntry(ctx, "cli:ed", n, moved.ID, &title, nil),
		r.RestoreEntry(ctx, "cli:ed", n, moved.ID),
		r.DropEntry(ctx, "cli:ed", n, dropped.ID),
		r.SetLead(ctx, "cli:ed", n, lead.ID),
		r.MoveEntry(ctx, "cli:ed", n, moved.ID, 2),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	r.reopen(t)

	is, err := r.Issue(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	var order []int64
	for _, e := range is.Entries {
		order = append(order, e.ID)
	}
	if want := []int64{lead.ID, moved.ID, edited.ID}; !slices.Equal(order[:3], want) || slices.Contains(order, dropped.ID) {
		t.Fatalf("order after the restart %v; want %v first, %d gone", order, want, dropped.ID)
	}
	p, err := r.PreviewIssue(ctx, n, "Example Reader <reader@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	check := func(where, body string, html bool) {
		t.Helper()
		leadAt, movedAt, editedAt := strings.Index(body, titleIn(lead.Title, html)), strings.Index(body, titleIn(moved.Title, html)), strings.Index(body, titleIn(title, html))
		if leadAt < 0 || movedAt < 0 || editedAt < 0 || leadAt > movedAt || movedAt > editedAt {
			t.Errorf("%s: entries not lead, moved, edited (%d, %d, %d)", where, leadAt, movedAt, editedAt)
		}
		if !strings.Contains(body, "editor") || !strings.Contains(body, "And a second one.") || strings.Contains(body, titleIn(edited.Title, html)) {
			t.Errorf("%s: the edited entry does not show the editor's texts", where)
		}
		if strings.Contains(body, titleIn(dropped.Title, html)) {
			t.Errorf("%s: the dropped entry is there", where)
		}
		intro := "Good morning, **readers**."
		if html {
			intro = "<strong>readers</strong>"
			if strings.Contains(body, "<script") {
				t.Errorf("%s: the introduction's script got through", where)
			}
		}
		if !strings.Contains(body, intro) {
			t.Errorf("%s: no introduction %q", where, intro)
		}
	}
	check("preview html", p.HTML, true)
	check("preview text", p.Text, false)
	check("preview page", string(p.Page), true)
	if p.Subject != "Trams, bread and heat pumps" {
		t.Errorf("preview subject %q", p.Subject)
	}

	if _, err := r.Approve(ctx, "cli:ed", n); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for _, m := range r.smtp.Messages() {
		if slices.Contains(m.To, "reader@example.com") {
			got = m.Data
		}
	}
	subject, _, text, html := mimeParts(t, got)
	if subject != "Trams, bread and heat pumps" {
		t.Errorf("sent subject %q", subject)
	}
	check("sent html", html, true)
	check("sent text", text, false)
	page, err := os.ReadFile(r.public(fmt.Sprintf("issues/%d/index.html", n)))
	if err != nil {
		t.Fatal(err)
	}
	check("published page", string(page), true)
	issues := r.feedItems(t, "issues.json")
	if len(issues) != 1 {
		t.Fatalf("issues feed: %d items", len(issues))
	}
	check("issues feed", issues[0], true)
	entries := strings.Join(r.feedItems(t, "feed.json"), "\n")
	if !strings.Contains(entries, title) || !strings.Contains(entries, "And a second one.") || strings.Contains(entries, dropped.Title) {
		t.Errorf("the entries feed lacks the edits, or holds the dropped entry")
	}

	// The dropped entry went back to the pool: the next issue has it.
	rep, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Issue.Entries) != 1 || rep.Issue.Entries[0].ID != dropped.ID || rep.Issue.State != store.IssueDraft {
		t.Errorf("next issue %d (%s) has %v; want the dropped entry %d", rep.Issue.Number, rep.Issue.State, rep.Issue.Entries, dropped.ID)
	}
}

// titleIn is an entry's title as a part shows it: escaped in HTML.
func titleIn(title string, html bool) string {
	if html {
		return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&#39;", `"`, "&#34;").Replace(title)
	}
	return title
}

// TestReviewPreviewIsWhatIsSent compares a preview with the message the
// SMTP server received for the same subscriber: the same subject, headers
// and bytes in both parts, but for what each message has of its own
// (Message-ID, Date, the MIME boundary); and the preview's page with the
// page published.
func TestReviewPreviewIsWhatIsSent(t *testing.T) {
	ctx := context.Background()
	r := newReviewApp(t, "")
	d := r.draft(t)
	if err := r.SetIntro(ctx, "cli:ed", d.Number, "Café *crème*, ünïcode and a [link](https://example.org/)."); err != nil {
		t.Fatal(err)
	}
	if err := r.SetLead(ctx, "cli:ed", d.Number, d.Entries[2].ID); err != nil {
		t.Fatal(err)
	}
	p, err := r.PreviewIssue(ctx, d.Number, "Example Reader <reader@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Approve(ctx, "cli:ed", d.Number); err != nil {
		t.Fatal(err)
	}
	var sent []byte
	for _, m := range r.smtp.Messages() {
		if slices.Contains(m.To, "reader@example.com") {
			sent = m.Data
		}
	}
	if sent == nil {
		t.Fatal("nothing was sent to reader@example.com")
	}
	ps, ph, ptext, phtml := mimeParts(t, p.Message)
	ss, sh, stext, shtml := mimeParts(t, sent)
	if ps != ss || ps != p.Subject {
		t.Errorf("subject: preview %q, sent %q", ps, ss)
	}
	// On the wire, lines end in CRLF.
	crlf := strings.NewReplacer("\r\n", "\n")
	if ptext != stext || crlf.Replace(ptext) != p.Text {
		t.Errorf("text part differs:\npreview %q\nsent    %q", ptext, stext)
	}
	if phtml != shtml || crlf.Replace(phtml) != p.HTML {
		t.Errorf("HTML part differs:\npreview %q\nsent    %q", phtml, shtml)
	}
	own := map[string]bool{"Message-Id": true, "Date": true, "Content-Type": true}
	for k := range sh {
		if !own[k] && !slices.Equal(ph[k], sh[k]) {
			t.Errorf("header %s: preview %q, sent %q", k, ph[k], sh[k])
		}
	}
	for k := range ph {
		if _, ok := sh[k]; !ok {
			t.Errorf("header %s in the preview only", k)
		}
	}
	pt, _, _ := mime.ParseMediaType(ph.Get("Content-Type"))
	st, _, _ := mime.ParseMediaType(sh.Get("Content-Type"))
	if pt != st || pt != "multipart/alternative" {
		t.Errorf("content type: preview %s, sent %s", pt, st)
	}
	page, err := os.ReadFile(r.public(fmt.Sprintf("issues/%d/index.html", d.Number)))
	if err != nil || !bytes.Equal(page, p.Page) {
		t.Errorf("the preview's page differs from the published one (%v)", err)
	}
}

// TestReviewTestSendIsNotInTheLedger: a test copy of a draft goes to the
// editor, marked as a test, and no subscriber's delivery is recorded.
func TestReviewTestSendIsNotInTheLedger(t *testing.T) {
	ctx := context.Background()
	r := newReviewApp(t, "")
	d := r.draft(t)
	if _, err := r.TestSend(ctx, "cli:ed", d.Number, "Ed <editor@example.org>"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.TestSend(ctx, "cli:ed", d.Number, "not an address"); !errors.Is(err, ErrInvalid) {
		t.Errorf("test copy to a bad address: %v, want ErrInvalid", err)
	}
	msgs := r.smtp.Messages()
	if len(msgs) != 1 || !slices.Equal(msgs[0].To, []string{"editor@example.org"}) {
		t.Fatalf("messages %v; want the one test copy to the editor", msgs)
	}
	if subject, _, _, _ := mimeParts(t, msgs[0].Data); !strings.HasPrefix(subject, "[TEST] ") {
		t.Errorf("test copy subject %q", subject)
	}
	if counts, _ := r.Store.DeliveryCounts(ctx, d.Number); len(counts) != 0 {
		t.Errorf("a test copy wrote ledger rows: %v", counts)
	}
	if is, _ := r.Issue(ctx, d.Number); is.State != store.IssueDraft {
		t.Errorf("after a test copy the issue is %s", is.State)
	}
	if log, _ := r.AuditLog(ctx, store.AuditQuery{Issue: d.Number, Limit: 1}); len(log) != 1 || log[0].Action != store.AuditIssueTest {
		t.Errorf("audit log %+v; want the test copy", log)
	}
	// The subscribers get it once each on approval; the editor no second time.
	if _, err := r.Approve(ctx, "cli:ed", d.Number); err != nil {
		t.Fatal(err)
	}
	if counts := r.smtp.Counts(); counts["editor@example.org"] != 1 || counts["reader@example.com"] != 1 || counts["second@example.org"] != 1 {
		t.Errorf("counts %v", counts)
	}
}

// TestReviewRefusals: what an issue's state or the request does not allow
// is refused with the error a web handler maps, and changes nothing.
func TestReviewRefusals(t *testing.T) {
	ctx := context.Background()
	r := newReviewApp(t, "")
	d := r.draft(t)
	n := d.Number
	future := time.Now().Add(24 * time.Hour)
	empty, long := "  ", strings.Repeat("x", maxTitle+1)
	var ie *InputError
	for _, tc := range []struct {
		name  string
		err   error
		want  error
		field string
	}{
		{"subject on two lines", r.SetSubject(ctx, "t", n, "one\ntwo"), ErrInvalid, "subject"},
		{"empty title", r.EditEntry(ctx, "t", n, d.Entries[0].ID, &empty, nil), ErrInvalid, "title"},
		{"long title", r.EditEntry(ctx, "t", n, d.Entries[0].ID, &long, nil), ErrInvalid, "title"},
		{"empty summary", r.EditEntry(ctx, "t", n, d.Entries[0].ID, nil, &empty), ErrInvalid, "summary"},
		{"nothing to edit", r.EditEntry(ctx, "t", n, d.Entries[0].ID, nil, nil), ErrInvalid, "entry"},
		{"intro with a NUL", r.SetIntro(ctx, "t", n, "a\x00b"), ErrInvalid, "intro"},
		{"move past the end", r.MoveEntry(ctx, "t", n, d.Entries[0].ID, 99), ErrInvalid, ""},
		{"no such entry", r.DropEntry(ctx, "t", n, 99999), ErrNotFound, ""},
		{"no such issue", r.SetSubject(ctx, "t", 99, "x"), ErrNotFound, ""},
		{"schedule in the past", r.ScheduleIssue(ctx, "t", n, time.Now().Add(-time.Minute)), ErrInvalid, "time"},
		{"cancel a draft", r.CancelSchedule(ctx, "t", n), ErrWrongState, ""},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
		} else if tc.field != "" && (!errors.As(tc.err, &ie) || ie.Field != tc.field) {
			t.Errorf("%s: %v, want an InputError on %s", tc.name, tc.err, tc.field)
		}
	}
	if _, err := r.ParseSendTime("tomorrow at nine"); !errors.As(err, &ie) || ie.Field != "time" {
		t.Errorf("parse a bad time: %v", err)
	}
	// Scheduled: no edits until cancelled; then a draft again.
	if err := r.ScheduleIssue(ctx, "t", n, future); err != nil {
		t.Fatal(err)
	}
	if err := r.SetSubject(ctx, "t", n, "x"); !errors.Is(err, ErrWrongState) {
		t.Errorf("edit a scheduled issue: %v", err)
	}
	if err := r.ScheduleIssue(ctx, "t", n, future.Add(time.Hour)); err != nil {
		t.Errorf("schedule again at another time: %v", err)
	}
	if err := r.CancelSchedule(ctx, "t", n); err != nil {
		t.Fatal(err)
	}
	if is, _ := r.Issue(ctx, n); is.State != store.IssueDraft || !is.SendAt.IsZero() {
		t.Errorf("cancelled: %s at %v", is.State, is.SendAt)
	}
	if err := r.SetSubject(ctx, "t", n, "Fine again"); err != nil {
		t.Errorf("edit after the cancel: %v", err)
	}
	// Another sender holds the issue's send: approval is refused, and the
	// draft stays one.
	news, _ := r.Newsletter()
	lease, err := news.LeaseSend(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Approve(ctx, "t", n); !errors.Is(err, ErrWrongState) || !errors.Is(err, store.ErrLocked) {
		t.Errorf("approve while another sends: %v", err)
	}
	lease.Release()
	if is, _ := r.Issue(ctx, n); is.State != store.IssueDraft {
		t.Errorf("a refused approval left the issue %s", is.State)
	}
	if n := r.smtp.Total(); n != 0 {
		t.Errorf("%d messages sent", n)
	}
}
