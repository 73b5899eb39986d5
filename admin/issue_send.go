package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/store"
)

// issueTestSend sends a [TEST] copy to the signed-in user's own address,
// outside the ledger.
func (h *handler) issueTestSend(w http.ResponseWriter, r *http.Request, s *session) {
	n, ok := h.issueNumber(w, r, s)
	if !ok {
		return
	}
	if s.User.Email == "" {
		h.failed(w, r, issueURL(n), "You have no address for test copies yet: set one under Account.")
		return
	}
	if _, err := h.app.TestSend(r.Context(), s.Actor(), n, s.User.Email); err != nil {
		if errors.Is(err, newsletter.ErrInvalidAddress) {
			err = fmt.Errorf("%w: %w", store.ErrInvalid, err)
		}
		h.fail(w, r, s, issueURL(n), err)
		return
	}
	h.done(w, r, issueURL(n), fmt.Sprintf("A test copy went to %s. It counts for no subscriber.", s.User.Email))
}

// issueApprove releases the issue now: it is published at once and sent
// within the minute, by the send-scheduled job; the live view shows it go.
// An issue whose send stopped short is taken up again.
func (h *handler) issueApprove(w http.ResponseWriter, r *http.Request, s *session) {
	n, ok := h.issueNumber(w, r, s)
	if !ok {
		return
	}
	if err := h.app.Release(r.Context(), s.Actor(), n); err != nil {
		h.fail(w, r, s, issueURL(n), err)
		return
	}
	h.done(w, r, sendURL(n), fmt.Sprintf("Issue #%d is published, and its send starts within a minute.", n))
}

func (h *handler) issueSchedule(w http.ResponseWriter, r *http.Request, s *session) {
	n, ok := h.issueNumber(w, r, s)
	if !ok {
		return
	}
	value := r.PostFormValue("at")
	at, err := h.app.ParseSendTime(value)
	if err == nil {
		err = h.app.ScheduleIssue(r.Context(), s.Actor(), n, at)
	}
	if refused(err) {
		h.showIssue(w, r, s, n, http.StatusUnprocessableEntity, func(p *issueEditPage) {
			p.SendAt, p.ScheduleError = value, sentence(err.Error())
		})
		return
	}
	if err != nil {
		h.fail(w, r, s, issueURL(n), err)
		return
	}
	h.done(w, r, sendURL(n), fmt.Sprintf("Issue #%d is scheduled for %s (%s).", n,
		at.In(h.app.Location()).Format("Monday 2 January 2006, 15:04"), h.app.Location()))
}

func (h *handler) issueCancel(w http.ResponseWriter, r *http.Request, s *session) {
	n, ok := h.issueNumber(w, r, s)
	if !ok {
		return
	}
	if err := h.app.CancelSchedule(r.Context(), s.Actor(), n); err != nil {
		h.fail(w, r, s, issueURL(n), err)
		return
	}
	h.done(w, r, issueURL(n), fmt.Sprintf("Issue #%d is a draft again.", n))
}

func sendURL(n int) string { return fmt.Sprintf("/admin/issues/%d/send", n) }

// progress is how an issue's send stands, as the live view shows it.
type progress struct {
	Issue       int    `json:"issue"`
	State       string `json:"state"`
	SendAt      string `json:"send_at,omitempty"`
	Total       int    `json:"total"`
	Sent        int    `json:"sent"`
	Pending     int    `json:"pending"`
	Failed      int    `json:"failed"`
	Unconfirmed int    `json:"unconfirmed"`
	Done        int    `json:"done"` // sent and failed: settled
	Percent     int    `json:"percent"`
	Bounced     int    `json:"bounced"`
	Complaints  int    `json:"complaints"`
	Error       string `json:"error,omitempty"`
	Status      string `json:"status"` // a sentence for people
	Over        bool   `json:"over"`   // nothing more will change by itself
}

func (h *handler) progress(r *http.Request, n int) (progress, error) {
	is, err := h.app.Issue(r.Context(), n)
	if err != nil {
		return progress{}, err
	}
	row, err := h.sendRow(r, store.IssueSummary{Issue: is})
	if err != nil {
		return progress{}, err
	}
	p := progress{Issue: n, State: string(is.State), Sent: row.Sent, Pending: row.Pending, Failed: row.Failed,
		Unconfirmed: row.Unconfirmed, Bounced: row.Bounced, Complaints: row.Complaints, Error: is.SendError}
	p.Total = p.Sent + p.Pending + p.Failed + p.Unconfirmed
	p.Done = p.Sent + p.Failed
	if p.Total > 0 {
		p.Percent = 100 * p.Done / p.Total
	}
	loc := h.app.Location()
	switch is.State {
	case store.IssueDraft:
		p.Status, p.Over = "A draft: it goes to no one until it is approved or scheduled.", true
	case store.IssueScheduled:
		p.SendAt = is.SendAt.In(loc).Format("2006-01-02 15:04")
		p.Status = fmt.Sprintf("Scheduled for %s (%s): it goes out then, within the minute.", p.SendAt, loc)
	case store.IssueSending:
		switch {
		case is.SendError != "":
			p.Status, p.Over = "The send stopped short: "+is.SendError+". Approve the issue again to finish it.", true
		case p.Total == 0:
			p.Status = "Released: the send starts within a minute."
		default:
			p.Status = fmt.Sprintf("Sending: %d of %d delivered so far.", p.Sent, p.Total)
		}
	case store.IssueSent:
		p.Status, p.Over = fmt.Sprintf("Sent: %d delivered, %d failed, %d unconfirmed.", p.Sent, p.Failed, p.Unconfirmed), true
	}
	return p, nil
}

type issueSendPage struct {
	page
	Issue    store.Issue
	Progress progress
	Poll     string // the URL the page's script polls
}

// issueSend is the live view of a send: the page's script asks for its
// progress every few seconds and shows it, without a reload.
func (h *handler) issueSend(w http.ResponseWriter, r *http.Request, s *session) {
	n, ok := h.issueNumber(w, r, s)
	if !ok {
		return
	}
	is, err := h.app.Issue(r.Context(), n)
	if err != nil {
		h.fail(w, r, s, "/admin/issues", err)
		return
	}
	p, err := h.progress(r, n)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "issue_send", s, &issueSendPage{page: page{Title: fmt.Sprintf("Send of issue #%d", n), Section: "issues"},
		Issue: is, Progress: p, Poll: fmt.Sprintf("/admin/issues/%d/progress", n)})
}

func (h *handler) issueProgress(w http.ResponseWriter, r *http.Request, s *session) {
	n, ok := h.issueNumber(w, r, s)
	if !ok {
		return
	}
	p, err := h.progress(r, n)
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, `{"error":"no such issue"}`, http.StatusNotFound)
		return
	}
	if err != nil {
		h.log.Error("desk: progress", "issue", n, "err", err)
		http.Error(w, `{"error":"internal error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(p)
}
