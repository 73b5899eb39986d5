package newsletter

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/storetest"
	"github.com/bulletin-app/bulletin/source"
	"github.com/bulletin-app/bulletin/store"
)

// draftStore opens a store whose one issue is a draft an editor changed:
// a subject, an introduction, the second entry edited and made the lead.
func draftStore(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t)
	for i, title := range []string{"Tides", "Bread"} {
		a := sourceArticle(i, title)
		if _, err := st.SaveArticle(ctx, a, false); err != nil {
			t.Fatal(err)
		}
	}
	ids := saveEntries(t, st)
	d, err := st.CreateDraft(ctx, func(n int) string { return fmt.Sprintf("Notes #%d", n) }, ids)
	if err != nil {
		t.Fatal(err)
	}
	// Newest first: Bread, then Tides, which the editor retitles and leads
	// with.
	second := d.Entries[1].ID
	title := "Tides, <retold>"
	steps := []error{
		st.SetIssueSubject(ctx, d.Number, "Bread wins", "t"),
		st.SetIssueIntro(ctx, d.Number, "Hello **readers** <script>alert(1)</script>", "t"),
		st.EditEntry(ctx, d.Number, second, &title, []string{"An editor's summary."}, "t"),
		st.SetLead(ctx, d.Number, second, "t"),
	}
	if err := errors.Join(steps...); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestADraftIsMailedToNobody(t *testing.T) {
	ctx := context.Background()
	st := draftStore(t)
	addSubscribers(t, st, 3)
	opts := testOptions(t)
	n, err := New(st, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, state := range []store.IssueState{store.IssueDraft, store.IssueScheduled} {
		if state == store.IssueScheduled {
			if _, err := st.MoveIssue(ctx, 1, store.IssueScheduled, time.Now().Add(time.Hour), "t", "t", ""); err != nil {
				t.Fatal(err)
			}
		}
		for _, req := range []SendRequest{{Issue: 1}, {}, {Issue: 1, ResendFailed: true}} {
			_, err := n.Send(ctx, req)
			if !errors.Is(err, ErrNotReleased) || !errors.Is(err, store.ErrWrongState) {
				t.Errorf("%s: send %+v: %v; want ErrNotReleased", state, req, err)
			}
		}
		if sum, err := n.Send(ctx, SendRequest{Issue: 1, DryRun: true}); err != nil || sum.Total != 3 {
			t.Errorf("%s: a dry run: %+v, %v", state, sum, err)
		}
		if counts, _ := st.DeliveryCounts(ctx, 1); len(counts) != 0 {
			t.Errorf("%s: ledger rows %v", state, counts)
		}
		if files, _ := os.ReadDir(opts.OutboxDir); len(files) != 0 {
			t.Errorf("%s: %d messages in the outbox", state, len(files))
		}
	}
	// A test copy to an editor goes out, outside the ledger.
	if _, err := n.Send(ctx, SendRequest{Issue: 1, To: "editor@example.org"}); err != nil {
		t.Fatal(err)
	}
	if files, _ := os.ReadDir(opts.OutboxDir); len(files) != 1 {
		t.Errorf("%d messages in the outbox after a test copy, want 1", len(files))
	}
	if counts, _ := st.DeliveryCounts(ctx, 1); len(counts) != 0 {
		t.Errorf("a test copy wrote ledger rows %v", counts)
	}
}

func TestEditsShowInBothParts(t *testing.T) {
	ctx := context.Background()
	st := draftStore(t)
	n, err := New(st, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	p, err := n.PreviewFor(ctx, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "Bread wins" {
		t.Errorf("subject %q", p.Subject)
	}
	if !strings.Contains(string(p.Message), "Subject: Bread wins") {
		t.Errorf("the message's subject is not the editor's:\n%.400s", p.Message)
	}
	for part, body := range map[string]string{"html": p.HTML, "text": p.Text} {
		lead := strings.Index(body, "Tides, ")
		other := strings.Index(body, "Bread")
		if lead < 0 || other < 0 || lead > other {
			t.Errorf("%s: the lead story is not first (%d, %d)", part, lead, other)
		}
		if !strings.Contains(body, "An editor") || strings.Contains(body, "Tides in short") {
			t.Errorf("%s: the editor's summary is not the one shown", part)
		}
	}
	if strings.Contains(p.HTML, "<script") {
		t.Errorf("html: the introduction's script got through")
	}
	if !strings.Contains(p.HTML, "<strong>readers</strong>") || !strings.Contains(p.HTML, "Tides, &lt;retold&gt;") {
		t.Errorf("html: intro not rendered, or the title not escaped:\n%s", p.HTML)
	}
	if !strings.Contains(p.Text, "Hello **readers**") {
		t.Errorf("text: the introduction is not there as written:\n%s", p.Text)
	}
}

func sourceArticle(i int, title string) source.Article {
	return source.Article{Key: fmt.Sprintf("https://example.org/%d", i), URL: fmt.Sprintf("https://example.org/%d", i), Title: title,
		Source: "Example", Text: title + " happened.", Published: time.Date(2026, 3, 1+i, 9, 0, 0, 0, time.UTC)}
}
