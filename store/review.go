package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// IssueState is where an issue is on its way to the subscribers.
type IssueState string

// The states of an issue. A draft and a scheduled issue are published
// nowhere and mailed to nobody; a released one (sending, then sent) is in
// the feeds and pages, and its send runs under the ledger's rules.
const (
	IssueDraft     IssueState = "draft"     // built for review: an editor may change it
	IssueScheduled IssueState = "scheduled" // approved, to be released at SendAt
	IssueSending   IssueState = "sending"   // released: published, its send under way or cut short
	IssueSent      IssueState = "sent"      // its send ran to the end
)

// IssueStates are the states in the order an issue goes through them.
var IssueStates = []IssueState{IssueDraft, IssueScheduled, IssueSending, IssueSent}

// Released tells whether an issue in state s is published and may be sent.
func (s IssueState) Released() bool { return s == IssueSending || s == IssueSent }

// issueMoves are the state changes an issue may make: a draft is scheduled
// or released at once; a scheduled issue is scheduled again (another
// time), cancelled back to draft, or released; a release ends when its
// send has. Nothing goes back from a release: it has been published, and
// may have reached some of its subscribers.
var issueMoves = map[IssueState][]IssueState{
	IssueDraft:     {IssueScheduled, IssueSending},
	IssueScheduled: {IssueScheduled, IssueDraft, IssueSending},
	IssueSending:   {IssueSent},
	IssueSent:      nil,
}

// CanMove tells whether an issue in state from may move to state to.
func CanMove(from, to IssueState) bool { return slices.Contains(issueMoves[from], to) }

// Errors an editor's request can meet, besides ErrNotFound. A caller (the
// command line, the desk) tells them apart with errors.Is.
var (
	// ErrWrongState is wrapped by a StateError: the issue is not in a state
	// that allows what was asked.
	ErrWrongState = errors.New("not allowed in the issue's state")
	// ErrInvalid is wrapped by errors about what was asked: a position past
	// the last entry, an empty title.
	ErrInvalid = errors.New("invalid")
	// ErrAwaitingReview is returned when an issue is to be built while
	// another awaits review: the entries wait in the pool for the issue
	// after it.
	ErrAwaitingReview = errors.New("an issue awaits review")
)

// StateError is a request that the issue's state does not allow.
type StateError struct {
	Issue int
	State IssueState // the state it is in
	Op    string     // what was refused: "edit", "schedule", "cancel"...
}

func (e *StateError) Error() string {
	return fmt.Sprintf("issue %d is %s: cannot %s it", e.Issue, e.State, e.Op)
}

func (e *StateError) Unwrap() error { return ErrWrongState }

// Audit actions of what happens to issues. Those of the changes the store
// makes are written in the transaction of the change, so the log never
// misses one.
const (
	AuditIssueBuilt    = "issue.built"    // a new issue: a draft, or released at once
	AuditIssueSubject  = "issue.subject"  // the email's subject changed
	AuditIssueIntro    = "issue.intro"    // the introduction changed
	AuditEntryMove     = "entry.move"     // an entry moved to another place
	AuditEntryDrop     = "entry.drop"     // an entry went back to the pool
	AuditEntryLead     = "entry.lead"     // the lead story changed
	AuditEntryEdit     = "entry.edit"     // an entry's title or summary changed
	AuditEntryRestore  = "entry.restore"  // an entry's texts are the machine's again
	AuditIssueSchedule = "issue.schedule" // to be sent at a time
	AuditIssueCancel   = "issue.cancel"   // a schedule cancelled: a draft again
	AuditIssueRelease  = "issue.release"  // published, and its send started
	AuditIssueSent     = "issue.sent"     // its send ran to the end
	AuditIssueStopped  = "issue.stopped"  // its send stopped short, for a person to look at
	AuditIssueMissed   = "issue.missed"   // its scheduled time passed while bulletin was down: a draft again
	AuditIssueTest     = "issue.test"     // a test copy sent to an editor, outside the ledger
)

// issueColumns are the scan targets of issue-get's columns.
func issueColumns(is *Issue) []any {
	return []any{&is.Number, &is.Title, scanTime{&is.CreatedAt}, &is.State, scanTime{&is.SendAt},
		scanTime{&is.SentAt}, &is.SendError, &is.Subject, &is.Intro, scanTime{&is.EditedAt}}
}

// IssueSummary is an issue without its entries, as a list shows it.
type IssueSummary struct {
	Issue
	EntryCount int
}

// IssueList returns the newest issues in every state, without their
// entries; limit <= 0 returns them all.
func (s *Store) IssueList(ctx context.Context, limit int) ([]IssueSummary, error) {
	rows, err := s.query(ctx, qIssueList, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("list issues: %w", err)
	}
	defer rows.Close()
	var out []IssueSummary
	for rows.Next() {
		var is IssueSummary
		if err := rows.Scan(append(issueColumns(&is.Issue), &is.EntryCount)...); err != nil {
			return nil, fmt.Errorf("list issues: %w", err)
		}
		out = append(out, is)
	}
	return out, rows.Err()
}

// IssueAwaitingReview returns the number of the first issue that is a
// draft or scheduled, or 0.
func (s *Store) IssueAwaitingReview(ctx context.Context) (int, error) {
	var n int
	err := s.queryRow(ctx, qIssueAwaitingReview).Scan(&n)
	return n, err
}

// LatestSending returns the newest issue whose send is under way or was cut
// short, or 0.
func (s *Store) LatestSending(ctx context.Context) (int, error) {
	var n int
	err := s.queryRow(ctx, qIssueLatestSending).Scan(&n)
	return n, err
}

// IssuesToDeliver returns, first due first, the scheduled issues whose time
// is now or past, and the released issues (with a release time) whose send
// is neither over nor stopped for a person to look at.
func (s *Store) IssuesToDeliver(ctx context.Context, now time.Time) ([]int, error) {
	rows, err := s.query(ctx, qIssuesToDeliver, s.timeArg(now))
	if err != nil {
		return nil, fmt.Errorf("issues to deliver: %w", err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// lockIssue reads issue n's state in tx, locking its row until tx ends.
func (tx runner) lockIssue(ctx context.Context, n int) (IssueState, error) {
	var state IssueState
	err := tx.queryRow(ctx, qIssueStateForUpdate, n).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("issue %d: %w", n, ErrNotFound)
	}
	return state, err
}

// MoveIssue moves issue n to state to, if its state allows that (CanMove),
// and records it in the audit log as actor's action, with detail. at is
// the time the move is for: when a scheduled issue is to be sent, or when
// an issue was released or its send ended; a move back to draft forgets
// it.
func (s *Store) MoveIssue(ctx context.Context, n int, to IssueState, at time.Time, actor, action, detail string) (Issue, error) {
	_, err := s.moveIssue(ctx, n, to, at, AuditEntry{Actor: actor, Action: action, Issue: n, Detail: detail}, nil)
	if err != nil {
		return Issue{}, err
	}
	return s.Issue(ctx, n)
}

// ReleaseIfDue releases issue n if it is still scheduled for now or
// earlier, when the lock on its row is taken: a schedule moved or
// cancelled meanwhile is left as it is (false).
func (s *Store) ReleaseIfDue(ctx context.Context, n int, now time.Time, actor, detail string) (bool, error) {
	return s.moveIssue(ctx, n, IssueSending, now, AuditEntry{Actor: actor, Action: AuditIssueRelease, Issue: n, Detail: detail},
		func(is Issue) bool { return is.State == IssueScheduled && !is.SendAt.After(now) })
}

// moveIssue is MoveIssue; when, if set, must hold for the issue as it is
// under the lock, or nothing moves and moved is false.
func (s *Store) moveIssue(ctx context.Context, n int, to IssueState, at time.Time, entry AuditEntry, when func(Issue) bool) (moved bool, err error) {
	err = s.tx(ctx, func(tx runner) error {
		from, err := tx.lockIssue(ctx, n)
		if err != nil {
			return err
		}
		if when != nil {
			var is Issue
			if err := tx.queryRow(ctx, qIssueGet, n).Scan(issueColumns(&is)...); err != nil {
				return err
			}
			if !when(is) {
				return nil
			}
		}
		if !CanMove(from, to) {
			return &StateError{Issue: n, State: from, Op: opOf(to)}
		}
		switch to {
		case IssueSent:
			_, err = tx.exec(ctx, qIssueMarkSent, s.timeArg(at), n)
		case IssueDraft:
			_, err = tx.exec(ctx, qIssueMove, string(to), nil, n)
		default:
			_, err = tx.exec(ctx, qIssueMove, string(to), s.timeArg(at), n)
		}
		if err != nil {
			return err
		}
		if to == IssueSending {
			// Published: its entries take their places in the feed.
			if err := tx.placeInFeed(ctx, n); err != nil {
				return err
			}
		}
		moved = true
		return tx.audit(ctx, entry)
	})
	return moved, err
}

// opOf names the request a move to state to answers, for a StateError.
func opOf(to IssueState) string {
	switch to {
	case IssueScheduled:
		return "schedule"
	case IssueDraft:
		return "cancel"
	case IssueSending:
		return "release"
	}
	return "finish"
}

// MarkSent ends issue n's send: it ran to the end. Only an issue in state
// sending moves (an issue sent before stays as it is); the audit log gets
// the entry when it does. It reports whether it moved.
func (s *Store) MarkSent(ctx context.Context, n int, actor, detail string) (bool, error) {
	moved := false
	err := s.tx(ctx, func(tx runner) error {
		res, err := tx.exec(ctx, qIssueMarkSent, s.timeArg(s.now()), n)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return nil
		}
		moved = true
		return tx.audit(ctx, AuditEntry{Actor: actor, Action: AuditIssueSent, Issue: n, Detail: detail})
	})
	if err != nil {
		return false, fmt.Errorf("issue %d: %w", n, err)
	}
	return moved, nil
}

// SetSendError records why issue n's send stopped short (empty: clears
// it), while the issue is sending; with a reason, the audit log gets the
// entry.
func (s *Store) SetSendError(ctx context.Context, n int, reason, actor string) error {
	err := s.tx(ctx, func(tx runner) error {
		res, err := tx.exec(ctx, qIssueSendError, reason, n)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 || reason == "" {
			return nil
		}
		return tx.audit(ctx, AuditEntry{Actor: actor, Action: AuditIssueStopped, Issue: n, Detail: reason})
	})
	if err != nil {
		return fmt.Errorf("issue %d: %w", n, err)
	}
	return nil
}

// editDraft runs fn in a transaction on draft n, its row locked, and
// records the change in the audit log with the detail fn returns. An
// issue that is not a draft is not changed: the error is a StateError.
func (s *Store) editDraft(ctx context.Context, n int, actor, action string, fn func(tx runner) (string, error)) error {
	return s.tx(ctx, func(tx runner) error {
		state, err := tx.lockIssue(ctx, n)
		if err != nil {
			return err
		}
		if state != IssueDraft {
			return &StateError{Issue: n, State: state, Op: "edit"}
		}
		detail, err := fn(tx)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, qIssueTouch, s.timeArg(s.now()), n); err != nil {
			return err
		}
		return tx.audit(ctx, AuditEntry{Actor: actor, Action: action, Issue: n, Detail: detail})
	})
}

// SetIssueSubject sets the subject of draft n's email; empty: its title.
func (s *Store) SetIssueSubject(ctx context.Context, n int, subject, actor string) error {
	return s.editDraft(ctx, n, actor, AuditIssueSubject, func(tx runner) (string, error) {
		_, err := tx.exec(ctx, qIssueSetSubject, subject, n)
		if subject == "" {
			return "the title again", err
		}
		return subject, err
	})
}

// SetIssueIntro sets draft n's introduction, in Markdown; empty: none.
func (s *Store) SetIssueIntro(ctx context.Context, n int, intro, actor string) error {
	return s.editDraft(ctx, n, actor, AuditIssueIntro, func(tx runner) (string, error) {
		_, err := tx.exec(ctx, qIssueSetIntro, intro, n)
		return fmt.Sprintf("%d characters", len([]rune(intro))), err
	})
}

// entryOrder returns the ids of issue n's entries as readers see them, and
// the lead's (0: none).
func (tx runner) entryOrder(ctx context.Context, n int) ([]int64, int64, error) {
	rows, err := tx.query(ctx, qIssueEntryOrder, n)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var ids []int64
	var lead int64
	for rows.Next() {
		var id int64
		var isLead bool
		if err := rows.Scan(&id, &isLead); err != nil {
			return nil, 0, err
		}
		ids = append(ids, id)
		if isLead {
			lead = id
		}
	}
	return ids, lead, rows.Err()
}

func notInIssue(entry int64, n int) error {
	return fmt.Errorf("entry %d is not in issue %d: %w", entry, n, ErrNotFound)
}

// MoveEntry moves entry to place to (from 1) among draft n's entries, the
// others keeping their order. The lead story stays first: it cannot move,
// and no other entry can take its place, until another lead or none is
// chosen (SetLead).
func (s *Store) MoveEntry(ctx context.Context, n int, entry int64, to int, actor string) error {
	return s.editDraft(ctx, n, actor, AuditEntryMove, func(tx runner) (string, error) {
		ids, lead, err := tx.entryOrder(ctx, n)
		if err != nil {
			return "", err
		}
		at := slices.Index(ids, entry)
		switch {
		case at < 0:
			return "", notInIssue(entry, n)
		case to < 1 || to > len(ids):
			return "", fmt.Errorf("place %d: issue %d has %d entries, so 1 to %d: %w", to, n, len(ids), len(ids), ErrInvalid)
		case lead == entry && to != 1:
			return "", fmt.Errorf("entry %d is the lead story, which comes first; choose another lead, or none, to move it: %w", entry, ErrInvalid)
		case lead != 0 && lead != entry && to == 1:
			return "", fmt.Errorf("place 1 is the lead story's (entry %d); make entry %d the lead instead, or choose no lead: %w", lead, entry, ErrInvalid)
		}
		ids = slices.Insert(slices.Delete(ids, at, at+1), to-1, entry)
		for i, id := range ids {
			if _, err := tx.exec(ctx, qEntrySetPosition, i+1, id); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("entry %d from place %d to %d", entry, at+1, to), nil
	})
}

// DropEntry takes entry out of draft n and puts it back in the pool, for
// the next issue. What an editor wrote for it stays with it.
func (s *Store) DropEntry(ctx context.Context, n int, entry int64, actor string) error {
	return s.editDraft(ctx, n, actor, AuditEntryDrop, func(tx runner) (string, error) {
		res, err := tx.exec(ctx, qEntryDrop, entry, n)
		if err != nil {
			return "", err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return "", notInIssue(entry, n)
		}
		return fmt.Sprintf("entry %d back to the pool", entry), nil
	})
}

// SetLead makes entry draft n's lead story, shown first; 0 leaves the
// issue without one.
func (s *Store) SetLead(ctx context.Context, n int, entry int64, actor string) error {
	return s.editDraft(ctx, n, actor, AuditEntryLead, func(tx runner) (string, error) {
		if _, err := tx.exec(ctx, qEntryClearLead, n); err != nil {
			return "", err
		}
		if entry == 0 {
			return "no lead story", nil
		}
		res, err := tx.exec(ctx, qEntrySetLead, entry, n)
		if err != nil {
			return "", err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return "", notInIssue(entry, n)
		}
		return fmt.Sprintf("entry %d", entry), nil
	})
}

// EditEntry sets what readers see of entry in draft n: a title, when not
// nil, and a summary (one sentence a line), when not nil. The article's
// title and the machine's summary stay beside them (RestoreEntry).
func (s *Store) EditEntry(ctx context.Context, n int, entry int64, title *string, summary []string, actor string) error {
	return s.editDraft(ctx, n, actor, AuditEntryEdit, func(tx runner) (string, error) {
		var what []string
		if title != nil {
			if err := tx.execEntry(ctx, qEntryEditTitle, *title, entry, n); err != nil {
				return "", err
			}
			what = append(what, "title")
		}
		if summary != nil {
			if err := tx.execEntry(ctx, qEntryEditSummary, strings.Join(summary, "\n"), entry, n); err != nil {
				return "", err
			}
			what = append(what, "summary")
		}
		if len(what) == 0 {
			return "", fmt.Errorf("entry %d: no title or summary to set: %w", entry, ErrInvalid)
		}
		return fmt.Sprintf("entry %d: %s", entry, strings.Join(what, " and ")), nil
	})
}

// RestoreEntry gives entry of draft n its article's title and the
// machine's summary again.
func (s *Store) RestoreEntry(ctx context.Context, n int, entry int64, actor string) error {
	return s.editDraft(ctx, n, actor, AuditEntryRestore, func(tx runner) (string, error) {
		if err := tx.execEntry(ctx, qEntryEditTitle, nil, entry, n); err != nil {
			return "", err
		}
		if err := tx.execEntry(ctx, qEntryEditSummary, nil, entry, n); err != nil {
			return "", err
		}
		return fmt.Sprintf("entry %d", entry), nil
	})
}

// execEntry runs an update of one entry of an issue: value, entry, issue.
func (tx runner) execEntry(ctx context.Context, id queryID, value any, entry int64, n int) error {
	res, err := tx.exec(ctx, id, value, entry, n)
	if err != nil {
		return err
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return notInIssue(entry, n)
	}
	return nil
}
