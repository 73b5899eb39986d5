package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/source"
)

// withEntries saves n articles with a summary each, published an hour
// apart (the first newest), and returns their unissued entries, newest
// first.
func withEntries(t *testing.T, st *Store, n int) []Entry {
	t.Helper()
	ctx := context.Background()
	base := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	tot, err := st.Totals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		k := tot.Articles + i
		a := source.Article{Key: fmt.Sprintf("https://example.org/%d", k), URL: fmt.Sprintf("https://example.org/%d", k),
			Title: fmt.Sprintf("Story %d", i), Text: fmt.Sprintf("text %d", k), Published: base.Add(-time.Duration(i) * time.Hour)}
		if _, err := st.SaveArticle(ctx, a, false); err != nil {
			t.Fatal(err)
		}
	}
	todo, err := st.ArticlesToSummarize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range todo {
		e := Entry{ArticleID: a.ID, ContentHash: a.ContentHash, Summary: []string{a.Title + " happened.", "Then more."}, Teaser: "T", Method: "extractive"}
		if err := st.SaveEntry(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	un, err := st.UnissuedEntries(ctx)
	if err != nil || len(un) != n {
		t.Fatalf("%d unissued entries, %v; want %d", len(un), err, n)
	}
	return un
}

func ids(entries []Entry) []int64 {
	out := make([]int64, len(entries))
	for i, e := range entries {
		out[i] = e.ID
	}
	return out
}

func title(n int) string { return fmt.Sprintf("Issue %d", n) }

// inState makes a new issue with one entry and takes it to state by the
// moves an editor and the scheduler make.
func inState(t *testing.T, st *Store, state IssueState) int {
	t.Helper()
	ctx := context.Background()
	un := withEntries(t, st, 1)
	is, err := st.CreateDraft(ctx, title, ids(un))
	if err != nil {
		t.Fatal(err)
	}
	path := map[IssueState][]IssueState{
		IssueDraft:     nil,
		IssueScheduled: {IssueScheduled},
		IssueSending:   {IssueSending},
		IssueSent:      {IssueSending, IssueSent},
	}[state]
	for _, to := range path {
		if _, err := st.MoveIssue(ctx, is.Number, to, time.Now(), "test", "test.move", ""); err != nil {
			t.Fatal(err)
		}
	}
	return is.Number
}

// TestIssueStateMachine tries every move from every state: those the
// review workflow has succeed, with an audit entry; every other is refused
// with ErrWrongState and changes nothing.
func TestIssueStateMachine(t *testing.T) {
	// Written out here, not read from the code under test.
	allowed := map[[2]IssueState]bool{
		{IssueDraft, IssueScheduled}:     true, // schedule
		{IssueDraft, IssueSending}:       true, // approve: send now
		{IssueScheduled, IssueScheduled}: true, // schedule at another time
		{IssueScheduled, IssueDraft}:     true, // cancel
		{IssueScheduled, IssueSending}:   true, // its time came, or approved now
		{IssueSending, IssueSent}:        true, // the send ran to the end
	}
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		for _, from := range IssueStates {
			for _, to := range IssueStates {
				t.Run(fmt.Sprintf("%s to %s", from, to), func(t *testing.T) {
					st := db.open(t)
					n := inState(t, st, from)
					before, _ := st.AuditLog(ctx, AuditQuery{Issue: n})
					at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
					is, err := st.MoveIssue(ctx, n, to, at, "cli:test", "test.try", "")
					after, _ := st.AuditLog(ctx, AuditQuery{Issue: n})
					if CanMove(from, to) != allowed[[2]IssueState{from, to}] {
						t.Errorf("CanMove(%s, %s) = %v", from, to, CanMove(from, to))
					}
					if allowed[[2]IssueState{from, to}] {
						if err != nil || is.State != to {
							t.Fatalf("move: %v, state %s; want %s", err, is.State, to)
						}
						if len(after) != len(before)+1 || after[0].Action != "test.try" || after[0].Actor != "cli:test" {
							t.Errorf("audit log %+v; want the move on top", after)
						}
						switch to {
						case IssueScheduled, IssueSending:
							if !is.SendAt.Equal(at) {
								t.Errorf("send_at %v, want %v", is.SendAt, at)
							}
						case IssueDraft:
							if !is.SendAt.IsZero() {
								t.Errorf("a cancelled issue keeps send_at %v", is.SendAt)
							}
						case IssueSent:
							if !is.SentAt.Equal(at) {
								t.Errorf("sent_at %v, want %v", is.SentAt, at)
							}
						}
						return
					}
					var se *StateError
					if !errors.Is(err, ErrWrongState) || !errors.As(err, &se) || se.State != from || se.Issue != n {
						t.Fatalf("move refused with %v; want a StateError in %s", err, from)
					}
					if got, _ := st.Issue(ctx, n); got.State != from {
						t.Errorf("refused move left the issue %s, want %s", got.State, from)
					}
					if len(after) != len(before) {
						t.Errorf("refused move was logged: %+v", after[0])
					}
				})
			}
		}
		st := db.open(t)
		if _, err := st.MoveIssue(ctx, 99, IssueSending, time.Now(), "x", "y", ""); !errors.Is(err, ErrNotFound) {
			t.Errorf("moving a missing issue: %v, want ErrNotFound", err)
		}
	})
}

// TestDraftsArePublishedNowhere: a draft or scheduled issue is in no
// published list and does not change the published version; it is there
// once released.
func TestDraftsArePublishedNowhere(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		un := withEntries(t, st, 3)
		if _, err := st.CreateIssue(ctx, title, ids(un[:1])); err != nil {
			t.Fatal(err)
		}
		v1, _ := st.PublishedVersion(ctx)
		d, err := st.CreateDraft(ctx, title, ids(un[1:]))
		if err != nil || d.State != IssueDraft || !d.SendAt.IsZero() {
			t.Fatalf("draft %+v, %v", d, err)
		}
		text := "Edited"
		if err := st.EditEntry(ctx, d.Number, un[1].ID, &text, nil, "t"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.MoveIssue(ctx, d.Number, IssueScheduled, time.Now().Add(time.Hour), "t", AuditIssueSchedule, ""); err != nil {
			t.Fatal(err)
		}
		published, _ := st.Issues(ctx, 0)
		if len(published) != 1 || published[0].Number != 1 {
			t.Errorf("published issues %v; want #1 alone", published)
		}
		if v, _ := st.PublishedVersion(ctx); v != v1 {
			t.Errorf("published version moved with a draft: %s → %s", v1, v)
		}
		if list, _ := st.IssueList(ctx, 0); len(list) != 2 || list[0].State != IssueScheduled || list[0].EntryCount != 2 || list[1].State != IssueSending {
			t.Errorf("issue list %+v", list)
		}
		if _, err := st.MoveIssue(ctx, d.Number, IssueSending, time.Now(), "t", AuditIssueRelease, ""); err != nil {
			t.Fatal(err)
		}
		if published, _ := st.Issues(ctx, 0); len(published) != 2 || published[0].Number != d.Number {
			t.Errorf("after the release, published %v", published)
		}
		if v, _ := st.PublishedVersion(ctx); v == v1 {
			t.Errorf("published version did not move with a release: %s", v)
		}
	})
}

// TestAnIssueAwaitingReviewHoldsBackTheNext: while a draft or a
// scheduled issue waits, no new issue is numbered, and the entries stay in
// the pool.
func TestAnIssueAwaitingReviewHoldsBackTheNext(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		un := withEntries(t, st, 2)
		d, err := st.CreateDraft(ctx, title, ids(un[:1]))
		if err != nil {
			t.Fatal(err)
		}
		for _, state := range []IssueState{IssueDraft, IssueScheduled} {
			if state == IssueScheduled {
				if _, err := st.MoveIssue(ctx, d.Number, IssueScheduled, time.Now(), "t", "t", ""); err != nil {
					t.Fatal(err)
				}
			}
			for _, create := range []func(context.Context, func(int) string, []int64) (Issue, error){st.CreateIssue, st.CreateDraft} {
				if _, err := create(ctx, title, ids(un[1:])); !errors.Is(err, ErrAwaitingReview) {
					t.Errorf("%s waiting: new issue %v, want ErrAwaitingReview", state, err)
				}
			}
			if n, _ := st.IssueAwaitingReview(ctx); n != d.Number {
				t.Errorf("awaiting review: %d, want %d", n, d.Number)
			}
		}
		if pool, _ := st.UnissuedEntries(ctx); len(pool) != 1 || pool[0].ID != un[1].ID {
			t.Errorf("pool %v; want the entry left out", ids(pool))
		}
		if _, err := st.MoveIssue(ctx, d.Number, IssueSending, time.Now(), "t", "t", ""); err != nil {
			t.Fatal(err)
		}
		if is, err := st.CreateDraft(ctx, title, ids(un[1:])); err != nil || is.Number != 2 {
			t.Errorf("after the release: issue %d, %v; want 2", is.Number, err)
		}
	})
}

func titles(entries []Entry) []string {
	var out []string
	for _, e := range entries {
		s := e.Title
		if e.Lead {
			s += "*"
		}
		out = append(out, s)
	}
	return out
}

// TestDraftEditsAreDataThatSurviveAReopen makes every kind of edit, each
// saved at once, and reads the draft back from a store opened again.
func TestDraftEditsAreDataThatSurviveAReopen(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		target := db.url(t)
		st := db.openURL(t, target)
		un := withEntries(t, st, 4) // Story 0 (newest) … Story 3
		d, err := st.CreateDraft(ctx, title, ids(un))
		if err != nil {
			t.Fatal(err)
		}
		n := d.Number
		if got := titles(d.Entries); !slices.Equal(got, []string{"Story 0", "Story 1", "Story 2", "Story 3"}) {
			t.Fatalf("built order %q", got)
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(st.SetIssueSubject(ctx, n, "Trams and bread", "cli:ed"))
		must(st.SetIssueIntro(ctx, n, "Hello, *readers*.", "cli:ed"))
		must(st.MoveEntry(ctx, n, un[3].ID, 1, "cli:ed")) // 3 0 1 2
		must(st.MoveEntry(ctx, n, un[0].ID, 4, "cli:ed")) // 3 1 2 0
		must(st.SetLead(ctx, n, un[2].ID, "cli:ed"))      // 2* 3 1 0
		must(st.DropEntry(ctx, n, un[1].ID, "cli:ed"))    // 2* 3 0
		newTitle := "Story three, retold"
		must(st.EditEntry(ctx, n, un[3].ID, &newTitle, []string{"An editor's sentence.", "And another."}, "cli:ed"))
		must(st.EditEntry(ctx, n, un[0].ID, &newTitle, nil, "cli:ed"))
		must(st.RestoreEntry(ctx, n, un[0].ID, "cli:ed"))
		// A changed article is summarized again: the machine's summary
		// moves, the editor's stays in front of it.
		must(st.SaveEntry(ctx, Entry{ArticleID: un[3].ArticleID, ContentHash: "new", Summary: []string{"Resummarized."}, Teaser: "R", Method: "extractive"}))
		st.Close()

		st = db.openURL(t, target)
		is, err := st.Issue(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if is.Subject != "Trams and bread" || is.MailSubject() != "Trams and bread" || is.Intro != "Hello, *readers*." || is.EditedAt.IsZero() {
			t.Errorf("issue texts %q %q %q, edited %v", is.Subject, is.MailSubject(), is.Intro, is.EditedAt)
		}
		if got := titles(is.Entries); !slices.Equal(got, []string{"Story 2*", "Story three, retold", "Story 0"}) {
			t.Errorf("order after the edits %q", got)
		}
		three := is.Entries[1]
		if !three.TitleEdited || !three.SummaryEdited || three.ArticleTitle != "Story 3" ||
			!slices.Equal(three.Summary, []string{"An editor's sentence.", "And another."}) ||
			!slices.Equal(three.MachineSummary, []string{"Resummarized."}) || three.Teaser != "" {
			t.Errorf("edited entry %+v", three)
		}
		zero := is.Entries[2]
		if zero.TitleEdited || zero.SummaryEdited || zero.Title != "Story 0" || zero.Summary[0] != "Story 0 happened." || zero.Teaser != "T" {
			t.Errorf("restored entry %+v", zero)
		}
		if pool, _ := st.UnissuedEntries(ctx); len(pool) != 1 || pool[0].ID != un[1].ID {
			t.Errorf("pool after the drop %v; want entry %d", ids(pool), un[1].ID)
		}
		log, _ := st.AuditLog(ctx, AuditQuery{Issue: n})
		var actions []string
		for _, e := range slices.Backward(log) {
			actions = append(actions, e.Action)
			if e.Actor != "cli:ed" || e.At.IsZero() {
				t.Errorf("audit entry %+v", e)
			}
		}
		want := []string{AuditIssueSubject, AuditIssueIntro, AuditEntryMove, AuditEntryMove, AuditEntryLead, AuditEntryDrop, AuditEntryEdit, AuditEntryEdit, AuditEntryRestore}
		if !slices.Equal(actions, want) {
			t.Errorf("audit actions %q, want %q", actions, want)
		}
		if is.Subject = ""; is.MailSubject() != is.Title {
			t.Errorf("subject without an edit %q, want the title %q", is.MailSubject(), is.Title)
		}
	})
}

// TestDraftEditsRefused: what cannot be done is refused with the error a
// caller tells apart, and changes nothing.
func TestDraftEditsRefused(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		un := withEntries(t, st, 3)
		d, err := st.CreateDraft(ctx, title, ids(un[:2]))
		if err != nil {
			t.Fatal(err)
		}
		n := d.Number
		if err := st.SetLead(ctx, n, un[1].ID, "t"); err != nil {
			t.Fatal(err)
		}
		text := "x"
		for _, tc := range []struct {
			name string
			err  error
			want error
		}{
			{"move to place 0", st.MoveEntry(ctx, n, un[0].ID, 0, "t"), ErrInvalid},
			{"move past the last", st.MoveEntry(ctx, n, un[0].ID, 3, "t"), ErrInvalid},
			{"move the lead", st.MoveEntry(ctx, n, un[1].ID, 2, "t"), ErrInvalid},
			{"move before the lead", st.MoveEntry(ctx, n, un[0].ID, 1, "t"), ErrInvalid},
			{"move an entry of no issue", st.MoveEntry(ctx, n, un[2].ID, 1, "t"), ErrNotFound},
			{"drop an entry of no issue", st.DropEntry(ctx, n, un[2].ID, "t"), ErrNotFound},
			{"lead an entry of no issue", st.SetLead(ctx, n, un[2].ID, "t"), ErrNotFound},
			{"edit an entry of no issue", st.EditEntry(ctx, n, un[2].ID, &text, nil, "t"), ErrNotFound},
			{"edit nothing", st.EditEntry(ctx, n, un[0].ID, nil, nil, "t"), ErrInvalid},
			{"restore an entry of no issue", st.RestoreEntry(ctx, n, un[2].ID, "t"), ErrNotFound},
			{"edit a missing issue", st.SetIssueSubject(ctx, 42, "x", "t"), ErrNotFound},
		} {
			if !errors.Is(tc.err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
			}
		}
		if is, _ := st.Issue(ctx, n); !slices.Equal(titles(is.Entries), []string{"Story 1*", "Story 0"}) || is.Entries[0].TitleEdited {
			t.Errorf("refused edits changed the draft: %q", titles(is.Entries))
		}
		// Once it is no longer a draft, nothing in it changes.
		for _, state := range []IssueState{IssueScheduled, IssueSending, IssueSent} {
			if _, err := st.MoveIssue(ctx, n, state, time.Now(), "t", "t", ""); err != nil {
				t.Fatal(err)
			}
			for name, err := range map[string]error{
				"subject": st.SetIssueSubject(ctx, n, "x", "t"),
				"intro":   st.SetIssueIntro(ctx, n, "x", "t"),
				"move":    st.MoveEntry(ctx, n, un[0].ID, 2, "t"),
				"drop":    st.DropEntry(ctx, n, un[0].ID, "t"),
				"lead":    st.SetLead(ctx, n, 0, "t"),
				"edit":    st.EditEntry(ctx, n, un[0].ID, &text, nil, "t"),
				"restore": st.RestoreEntry(ctx, n, un[0].ID, "t"),
			} {
				var se *StateError
				if !errors.As(err, &se) || se.State != state || !strings.Contains(err.Error(), "cannot edit") {
					t.Errorf("%s of a %s issue: %v, want a StateError", name, state, err)
				}
			}
		}
	})
}

// TestReleaseIfDue releases a scheduled issue only while it is due under
// the lock: not before its time, and not once cancelled.
func TestReleaseIfDue(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		n := inState(t, st, IssueDraft)
		at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
		if _, err := st.MoveIssue(ctx, n, IssueScheduled, at, "t", AuditIssueSchedule, ""); err != nil {
			t.Fatal(err)
		}
		if due, _ := st.IssuesToDeliver(ctx, at.Add(-time.Second)); len(due) != 0 {
			t.Errorf("due a second early: %v", due)
		}
		if ok, err := st.ReleaseIfDue(ctx, n, at.Add(-time.Second), "job", ""); ok || err != nil {
			t.Errorf("released a second early: %v, %v", ok, err)
		}
		if due, _ := st.IssuesToDeliver(ctx, at); !slices.Equal(due, []int{n}) {
			t.Errorf("due at its time: %v", due)
		}
		if ok, err := st.ReleaseIfDue(ctx, n, at, "job", ""); !ok || err != nil {
			t.Fatalf("released at its time: %v, %v", ok, err)
		}
		if ok, err := st.ReleaseIfDue(ctx, n, at, "job", ""); ok || err != nil {
			t.Errorf("released twice: %v, %v", ok, err)
		}
		// Released, its send neither over nor stopped: still to deliver.
		if due, _ := st.IssuesToDeliver(ctx, at); !slices.Equal(due, []int{n}) {
			t.Errorf("released and unsent: %v", due)
		}
		if err := st.SetSendError(ctx, n, "paused: 25 failures in a row", "job"); err != nil {
			t.Fatal(err)
		}
		if due, _ := st.IssuesToDeliver(ctx, at); len(due) != 0 {
			t.Errorf("a stopped send is taken up on its own: %v", due)
		}
		if is, _ := st.Issue(ctx, n); is.SendError != "paused: 25 failures in a row" {
			t.Errorf("send error %q", is.SendError)
		}
		if moved, err := st.MarkSent(ctx, n, "job", "2 sent"); !moved || err != nil {
			t.Errorf("mark sent: %v, %v", moved, err)
		}
		if moved, _ := st.MarkSent(ctx, n, "job", "again"); moved {
			t.Error("marked sent twice")
		}
		is, _ := st.Issue(ctx, n)
		if is.State != IssueSent || is.SendError != "" || is.SentAt.IsZero() {
			t.Errorf("after the send: %s %q %v", is.State, is.SendError, is.SentAt)
		}
		log, _ := st.AuditLog(ctx, AuditQuery{Issue: n, Limit: 3})
		if len(log) != 3 || log[0].Action != AuditIssueSent || log[1].Action != AuditIssueStopped || log[2].Action != AuditIssueRelease {
			t.Errorf("audit log %+v", log)
		}

		// A cancelled schedule is not released.
		m := inState(t, st, IssueScheduled)
		if _, err := st.MoveIssue(ctx, m, IssueDraft, time.Time{}, "t", AuditIssueCancel, ""); err != nil {
			t.Fatal(err)
		}
		if ok, err := st.ReleaseIfDue(ctx, m, time.Now().Add(time.Hour), "job", ""); ok || err != nil {
			t.Errorf("released a cancelled issue: %v, %v", ok, err)
		}
	})
}

func TestAuditLogFiltersAndPages(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		for i := range 5 {
			e := AuditEntry{Actor: "admin:ed", Action: "subscriber.remove", Subscriber: int64(i%2 + 1), Detail: fmt.Sprint(i)}
			if i == 4 {
				e = AuditEntry{Actor: "admin:ed", Action: "source.pause", Source: "Example"}
			}
			if err := st.AddAudit(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.AddAudit(ctx, AuditEntry{Action: "x"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("entry without an actor: %v", err)
		}
		all, _ := st.AuditLog(ctx, AuditQuery{})
		if len(all) != 5 || all[0].Source != "Example" || all[4].Detail != "0" {
			t.Fatalf("all %+v", all)
		}
		page, _ := st.AuditLog(ctx, AuditQuery{Limit: 2})
		next, _ := st.AuditLog(ctx, AuditQuery{Limit: 2, Before: page[1].ID})
		if len(page) != 2 || len(next) != 2 || next[0].ID != all[2].ID {
			t.Errorf("pages %+v then %+v", page, next)
		}
		if sub, _ := st.AuditLog(ctx, AuditQuery{Subscriber: 1}); len(sub) != 2 || sub[0].Detail != "2" {
			t.Errorf("subscriber 1: %+v", sub)
		}
		if src, _ := st.AuditLog(ctx, AuditQuery{Source: "Example"}); len(src) != 1 {
			t.Errorf("source: %+v", src)
		}
	})
}

// TestReviewMigrationKeepsUnfinishedSends opens a database as it was
// before issues had states: those sent stay sent; one whose send was cut
// short, and the latest when no send of it started, are sending, for the
// next run to finish.
func TestReviewMigrationKeepsUnfinishedSends(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		target := db.url(t)
		d, dsn, _, err := parseTarget(target)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := sql.Open(d.driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		old := &Store{db: raw, dialect: d, now: time.Now}
		if old.texts, err = loadQueries(d); err != nil {
			t.Fatal(err)
		}
		if err := old.migrateUpTo(ctx, "0013_issue_review.sql"); err != nil {
			t.Fatal(err)
		}
		q := func(sqlite, postgres string) string {
			if d == postgresDialect {
				return postgres
			}
			return sqlite
		}
		for _, stmt := range []string{
			`INSERT INTO issues (number, title, created_at) VALUES (1, 'sent', '2026-01-01T00:00:00.000000000Z'), (2, 'cut short', '2026-01-02T00:00:00.000000000Z'), (3, 'never started', '2026-01-03T00:00:00.000000000Z')`,
			`INSERT INTO subscribers (id, email, status, created_at, updated_at) VALUES (1, 'a@example.org', 'confirmed', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z')`,
			`INSERT INTO deliveries (issue_number, subscriber_id, email, status, message_id, updated_at) VALUES (1, 1, 'a@example.org', 'sent', 'm1', '2026-01-01T00:00:00.000000000Z'), (2, 1, 'a@example.org', 'pending', 'm2', '2026-01-02T00:00:00.000000000Z')`,
		} {
			if _, err := raw.ExecContext(ctx, q(stmt, strings.ReplaceAll(stmt, ".000000000Z", "Z"))); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		st := db.openURL(t, target)
		for n, want := range map[int]IssueState{1: IssueSent, 2: IssueSending, 3: IssueSending} {
			if is, err := st.Issue(ctx, n); err != nil || is.State != want {
				t.Errorf("issue %d: %s, %v; want %s", n, is.State, err, want)
			}
		}
		// Released before there were states: no release time, so the
		// issue job (not the send-scheduled job) finishes them.
		if due, _ := st.IssuesToDeliver(ctx, time.Now()); len(due) != 0 {
			t.Errorf("to deliver: %v", due)
		}
		if n, _ := st.LatestSending(ctx); n != 3 {
			t.Errorf("latest sending %d, want 3", n)
		}
	})
}
