package bulletin

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bulletin-app/bulletin/internal/markdown"
	"github.com/bulletin-app/bulletin/store"
)

// Review before send: the operations on issues that the command line
// (bulletin issues) and the editor's desk both call. Each takes the actor
// it records in the audit log. Their errors tell a caller what to answer
// with errors.Is: ErrNotFound (no such issue or entry), ErrWrongState (the
// issue's state does not allow it: a *store.StateError says which state)
// and ErrInvalid (the request itself: an *InputError names the field).
var (
	ErrNotFound   = store.ErrNotFound
	ErrWrongState = store.ErrWrongState
	ErrInvalid    = store.ErrInvalid
)

// InputError is a request refused for what it asked. It wraps ErrInvalid.
type InputError struct {
	Field string // the flag or form field: subject, intro, title, summary, time…
	Msg   string
}

func (e *InputError) Error() string { return e.Field + ": " + e.Msg }
func (e *InputError) Unwrap() error { return ErrInvalid }

// Actors that are not a person, as the audit log names them.
const (
	ActorIssueJob = "job:" + JobIssue         // builds issues, and sends them when review is off
	ActorSendJob  = "job:" + JobSendScheduled // sends the scheduled issues at their time
	ActorBulletin = "bulletin"                // anything else done without a person asking
)

// Bounds on what an editor writes, in characters.
const (
	maxSubject = 200
	maxTitle   = 300
	maxSummary = 3000
	maxIntro   = 20000
)

// cleanText checks and tidies a text an editor gave for field: valid
// UTF-8, within max characters, no control characters but line breaks
// (and tabs) where multiline allows them, trimmed.
func cleanText(field, s string, max int, multiline bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", &InputError{field, "is not valid UTF-8 text"}
	}
	if multiline {
		s = markdown.Normalize(s)
	} else {
		s = strings.TrimSpace(s)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) {
			if r == '\n' || r == '\r' {
				return "", &InputError{field, "must be one line"}
			}
			return "", &InputError{field, fmt.Sprintf("holds the control character %U", r)}
		}
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", &InputError{field, fmt.Sprintf("is %d characters long; at most %d", n, max)}
	}
	return s, nil
}

// ListIssues returns the newest issues in every state, without their
// entries; limit <= 0 returns them all.
func (a *App) ListIssues(ctx context.Context, limit int) ([]store.IssueSummary, error) {
	return a.Store.IssueList(ctx, limit)
}

// Issue returns issue n, in any state, with its entries in the order
// readers see them.
func (a *App) Issue(ctx context.Context, n int) (store.Issue, error) {
	return a.Store.Issue(ctx, n)
}

// SetSubject sets the subject of draft n's email; empty gives it its
// title again.
func (a *App) SetSubject(ctx context.Context, actor string, n int, subject string) error {
	subject, err := cleanText("subject", subject, maxSubject, false)
	if err != nil {
		return err
	}
	return a.Store.SetIssueSubject(ctx, n, subject, actor)
}

// SetIntro sets draft n's introduction, in Markdown: it is shown above the
// entries in the email (rendered, and as written in the text part), on the
// issue's page and in the issues feed, sanitized. Empty removes it.
func (a *App) SetIntro(ctx context.Context, actor string, n int, intro string) error {
	intro, err := cleanText("intro", intro, maxIntro, true)
	if err != nil {
		return err
	}
	return a.Store.SetIssueIntro(ctx, n, intro, actor)
}

// MoveEntry moves entry to place to (from 1) in draft n. The lead story
// keeps the first place.
func (a *App) MoveEntry(ctx context.Context, actor string, n int, entry int64, to int) error {
	return a.Store.MoveEntry(ctx, n, entry, to, actor)
}

// DropEntry takes entry out of draft n and back to the pool: it goes into
// the next issue built.
func (a *App) DropEntry(ctx context.Context, actor string, n int, entry int64) error {
	return a.Store.DropEntry(ctx, n, entry, actor)
}

// SetLead makes entry draft n's lead story, shown first; 0: none.
func (a *App) SetLead(ctx context.Context, actor string, n int, entry int64) error {
	return a.Store.SetLead(ctx, n, entry, actor)
}

// EditEntry sets the title or the summary (or both; nil leaves one as it
// is) that readers see of entry in draft n. The article's title and the
// machine's summary are kept beside them, for RestoreEntry. A summary's
// lines are its sentences.
func (a *App) EditEntry(ctx context.Context, actor string, n int, entry int64, title, summary *string) error {
	var t *string
	var lines []string
	if title != nil {
		s, err := cleanText("title", *title, maxTitle, false)
		if err != nil {
			return err
		}
		if s == "" {
			return &InputError{"title", "is empty (restore the entry to show the article's title)"}
		}
		t = &s
	}
	if summary != nil {
		s, err := cleanText("summary", *summary, maxSummary, true)
		if err != nil {
			return err
		}
		for _, l := range strings.Split(s, "\n") {
			if l = strings.Join(strings.Fields(l), " "); l != "" {
				lines = append(lines, l)
			}
		}
		if len(lines) == 0 {
			return &InputError{"summary", "is empty (restore the entry to show the machine's summary)"}
		}
	}
	if t == nil && lines == nil {
		return &InputError{"entry", "give a title or a summary to set"}
	}
	return a.Store.EditEntry(ctx, n, entry, t, lines, actor)
}

// RestoreEntry shows entry of draft n with its article's title and the
// machine's summary again.
func (a *App) RestoreEntry(ctx context.Context, actor string, n int, entry int64) error {
	return a.Store.RestoreEntry(ctx, n, entry, actor)
}

// AuditLog returns the audit log's entries that q selects, newest first.
func (a *App) AuditLog(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, error) {
	return a.Store.AuditLog(ctx, q)
}

// Audit adds an entry to the audit log: what a caller did that bulletin
// does not record itself (a sign-in, an import through the desk).
func (a *App) Audit(ctx context.Context, e store.AuditEntry) error {
	return a.Store.AddAudit(ctx, e)
}
