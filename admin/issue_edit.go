package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bulletin-app/bulletin/store"
)

// issueEditPage is an issue's editor: a draft's subject, introduction and
// entries, each change saved at once; an issue in another state is shown
// as it is.
type issueEditPage struct {
	page
	Issue   store.Issue
	Draft   bool
	Entries []entryRow
	Review  bool
	// TestTo is where a test copy goes: the user's own address.
	TestTo string
	// SendAt is the schedule form's value, and SoonestSend its minimum,
	// in Zone.
	SendAt      string
	SoonestSend string
	Zone        string
	// What was submitted and refused, shown again with the reason.
	Subject, Intro  string
	SubjectError    string
	IntroError      string
	Edit            int64 // the entry whose form was refused
	EditTitle       string
	EditSummary     string
	EditError       string
	ScheduleError   string
	ReleasedSummary *sendRow
}

type entryRow struct {
	store.Entry
	Pos int
	// Up and Down are the places it can move to; 0: it cannot. The lead
	// story keeps the first place.
	Up, Down int
}

func issueURL(n int) string { return fmt.Sprintf("/admin/issues/%d", n) }

func entryURL(n int, id int64) string { return fmt.Sprintf("/admin/issues/%d#entry-%d", n, id) }

func (h *handler) issueEdit(w http.ResponseWriter, r *http.Request, s *session) {
	n, ok := h.issueNumber(w, r, s)
	if !ok {
		return
	}
	h.showIssue(w, r, s, n, http.StatusOK, nil)
}

// showIssue renders issue n's editor; with a refused form, adjust puts
// what was submitted back in it.
func (h *handler) showIssue(w http.ResponseWriter, r *http.Request, s *session, n, status int, adjust func(*issueEditPage)) {
	is, err := h.app.Issue(r.Context(), n)
	if err != nil {
		h.fail(w, r, s, "/admin/issues", err)
		return
	}
	p := &issueEditPage{page: page{Title: fmt.Sprintf("Issue #%d", n), Section: "issues"}, Issue: is,
		Draft: is.State == store.IssueDraft, Review: h.app.Review(), TestTo: s.User.Email,
		Subject: is.Subject, Intro: is.Intro, Zone: h.app.Location().String()}
	hasLead := len(is.Entries) > 0 && is.Entries[0].Lead
	for i, e := range is.Entries {
		row := entryRow{Entry: e, Pos: i + 1}
		if !e.Lead && i > 0 && !(i == 1 && hasLead) {
			row.Up = i
		}
		if !e.Lead && i < len(is.Entries)-1 {
			row.Down = i + 2
		}
		p.Entries = append(p.Entries, row)
	}
	loc := h.app.Location()
	soonest := h.now().In(loc).Truncate(time.Minute).Add(time.Minute)
	p.SoonestSend = soonest.Format("2006-01-02T15:04")
	p.SendAt = p.SoonestSend
	if is.State == store.IssueScheduled {
		p.SendAt = is.SendAt.In(loc).Format("2006-01-02T15:04")
	}
	if is.State.Released() {
		row, err := h.sendRow(r, store.IssueSummary{Issue: is, EntryCount: len(is.Entries)})
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		p.ReleasedSummary = &row
	}
	if adjust != nil {
		adjust(p)
	}
	h.render(w, r, status, "issue_edit", s, p)
}

// refused tells whether err is the request's fault (its input or the
// issue's state), to be shown on the form, rather than bulletin's.
func refused(err error) bool {
	return errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrWrongState)
}

func (h *handler) issueSubject(w http.ResponseWriter, r *http.Request, s *session) {
	n, ok := h.issueNumber(w, r, s)
	if !ok {
		return
	}
	subject := r.PostFormValue("subject")
	err := h.app.SetSubject(r.Context(), s.Actor(), n, subject)
	if refused(err) {
		h.showIssue(w, r, s, n, http.StatusUnprocessableEntity, func(p *issueEditPage) {
			p.Subject, p.SubjectError = subject, sentence(err.Error())
		})
		return
	}
	if err != nil {
		h.fail(w, r, s, issueURL(n), err)
		return
	}
	h.done(w, r, issueURL(n)+"#subject", "Subject saved.")
}

func (h *handler) issueIntro(w http.ResponseWriter, r *http.Request, s *session) {
	n, ok := h.issueNumber(w, r, s)
	if !ok {
		return
	}
	intro := r.PostFormValue("intro")
	err := h.app.SetIntro(r.Context(), s.Actor(), n, intro)
	if refused(err) {
		h.showIssue(w, r, s, n, http.StatusUnprocessableEntity, func(p *issueEditPage) {
			p.Intro, p.IntroError = intro, sentence(err.Error())
		})
		return
	}
	if err != nil {
		h.fail(w, r, s, issueURL(n), err)
		return
	}
	h.done(w, r, issueURL(n)+"#intro", "Introduction saved.")
}

func (h *handler) issueLead(w http.ResponseWriter, r *http.Request, s *session) {
	n, ok := h.issueNumber(w, r, s)
	if !ok {
		return
	}
	entry, ok := formInt(r, "entry")
	if !ok || entry < 0 {
		h.failed(w, r, issueURL(n), "Which entry is to be the lead story?")
		return
	}
	if err := h.app.SetLead(r.Context(), s.Actor(), n, entry); err != nil {
		h.fail(w, r, s, issueURL(n), err)
		return
	}
	if entry == 0 {
		h.done(w, r, issueURL(n)+"#entries", "The issue has no lead story now.")
		return
	}
	h.done(w, r, entryURL(n, entry), "The lead story comes first.")
}

// entry reads the route's issue and entry.
func (h *handler) entry(w http.ResponseWriter, r *http.Request, s *session) (int, int64, bool) {
	n, ok := h.issueNumber(w, r, s)
	if !ok {
		return 0, 0, false
	}
	id, ok := pathInt(r, "id")
	if !ok {
		h.notFound(w, r, s)
		return 0, 0, false
	}
	return n, id, true
}

// entryEdit sets an entry's title and summary as the editor wrote them.
func (h *handler) entryEdit(w http.ResponseWriter, r *http.Request, s *session) {
	n, id, ok := h.entry(w, r, s)
	if !ok {
		return
	}
	// A browser sends a textarea's lines with CRLF.
	title, summary := r.PostFormValue("title"), strings.ReplaceAll(r.PostFormValue("summary"), "\r\n", "\n")
	is, err := h.app.Issue(r.Context(), n)
	if err != nil {
		h.fail(w, r, s, issueURL(n), err)
		return
	}
	// Only what changed is set: an unchanged title stays the article's.
	var t, sum *string
	for _, e := range is.Entries {
		if e.ID != id {
			continue
		}
		if strings.TrimSpace(title) != e.Title {
			t = &title
		}
		if strings.TrimSpace(summary) != strings.Join(e.Summary, "\n") {
			sum = &summary
		}
	}
	if t == nil && sum == nil {
		h.done(w, r, entryURL(n, id), "Nothing changed.")
		return
	}
	err = h.app.EditEntry(r.Context(), s.Actor(), n, id, t, sum)
	if refused(err) && !errors.Is(err, store.ErrNotFound) {
		h.showIssue(w, r, s, n, http.StatusUnprocessableEntity, func(p *issueEditPage) {
			p.Edit, p.EditTitle, p.EditSummary, p.EditError = id, title, summary, sentence(err.Error())
		})
		return
	}
	if err != nil {
		h.fail(w, r, s, issueURL(n), err)
		return
	}
	h.done(w, r, entryURL(n, id), "Entry saved.")
}

func (h *handler) entryMove(w http.ResponseWriter, r *http.Request, s *session) {
	n, id, ok := h.entry(w, r, s)
	if !ok {
		return
	}
	to, ok := formInt(r, "to")
	if !ok || to < 1 || to > 1000 {
		h.failed(w, r, entryURL(n, id), "To which place?")
		return
	}
	if err := h.app.MoveEntry(r.Context(), s.Actor(), n, id, int(to)); err != nil {
		h.fail(w, r, s, entryURL(n, id), err)
		return
	}
	h.done(w, r, entryURL(n, id), fmt.Sprintf("Moved to place %d.", to))
}

func (h *handler) entryDrop(w http.ResponseWriter, r *http.Request, s *session) {
	n, id, ok := h.entry(w, r, s)
	if !ok {
		return
	}
	if err := h.app.DropEntry(r.Context(), s.Actor(), n, id); err != nil {
		h.fail(w, r, s, entryURL(n, id), err)
		return
	}
	h.done(w, r, issueURL(n)+"#entries", "Entry dropped: it goes back to the pool, into the next issue.")
}

func (h *handler) entryRestore(w http.ResponseWriter, r *http.Request, s *session) {
	n, id, ok := h.entry(w, r, s)
	if !ok {
		return
	}
	if err := h.app.RestoreEntry(r.Context(), s.Actor(), n, id); err != nil {
		h.fail(w, r, s, entryURL(n, id), err)
		return
	}
	h.done(w, r, entryURL(n, id), "The entry shows its article's title and the machine's summary again.")
}
