package bulletin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bulletin-app/bulletin/internal/shutdown"
	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/schedule"
	"github.com/bulletin-app/bulletin/store"
)

// JobSendScheduled is the job that sends scheduled issues at their time.
// It runs every minute while review is on: it looks in the store, so an
// issue scheduled by any process (bulletin issues schedule, the desk) is
// seen within the minute, without a restart. It also takes up the send of
// an issue released on its own (Release), and one cut short when the
// process sending it died or was stopped.
const JobSendScheduled = "send-scheduled"

// sendScheduledSpec is how often the job looks: every minute, on the
// minute, whatever the time zone or its clock changes (a scheduled time is
// an instant, kept in UTC).
const sendScheduledSpec = "* * * * *"

// Location is the time zone of the schedule: scheduled times are read and
// shown in it.
func (a *App) Location() *time.Location {
	loc, err := time.LoadLocation(a.Config.Schedule.Timezone)
	if err != nil {
		return time.UTC // config validation refuses a zone Go cannot load
	}
	return loc
}

// ParseSendTime reads a time to send at, such as "2026-12-02 09:00" (or
// "2026-12-02T09:00", as a browser's datetime-local field sends it), in the
// schedule's time zone. A time the zone skips (clocks going forward) is
// refused; one it has twice (clocks going back) is the earlier.
func (a *App) ParseSendTime(s string) (time.Time, error) {
	t, err := schedule.ParseLocal(s, a.Location())
	if err != nil {
		return time.Time{}, &InputError{"time", err.Error()}
	}
	return t, nil
}

// ScheduleIssue schedules draft n (or moves the time of a scheduled issue)
// for at, which must be in the future. bulletin serve's send-scheduled job
// releases it then: it publishes it and emails it. Review must be on, or no
// job looks after scheduled issues.
func (a *App) ScheduleIssue(ctx context.Context, actor string, n int, at time.Time) error {
	if !a.Config.Digest.Review {
		return &InputError{"time", "digest.review is off, so bulletin serve does not send scheduled issues: approve the issue instead, or turn review on"}
	}
	if now := a.now(); !at.After(now) {
		return &InputError{"time", fmt.Sprintf("%s is past (it is %s now)", a.showTime(at), a.showTime(now))}
	}
	_, err := a.Store.MoveIssue(ctx, n, store.IssueScheduled, at, actor, store.AuditIssueSchedule, "for "+a.showTime(at))
	return err
}

// CancelSchedule makes scheduled issue n a draft again.
func (a *App) CancelSchedule(ctx context.Context, actor string, n int) error {
	_, err := a.Store.MoveIssue(ctx, n, store.IssueDraft, time.Time{}, actor, store.AuditIssueCancel, "")
	return err
}

// showTime writes t in the schedule's zone, with the zone's name and
// offset, as the audit log and the command line show it.
func (a *App) showTime(t time.Time) string {
	return t.In(a.Location()).Format("2006-01-02 15:04 MST (-07:00)")
}

// Approve releases issue n now and sends it: a draft or a scheduled issue
// is published (feeds, pages, WebSub) and emailed to every confirmed
// subscriber, exactly once each by the ledger's rules. An issue already
// released whose send was cut short or stopped (sending) has its send
// finished. It returns when the send does, with its summary; a send that
// ran but left messages undelivered returns an error wrapping
// ErrUndelivered, and an issue another sender is sending one wrapping
// ErrWrongState and store.ErrLocked.
func (a *App) Approve(ctx context.Context, actor string, n int) (newsletter.Summary, error) {
	release, err := a.releaseFunc(ctx, actor, n, "approved")
	if err != nil {
		return newsletter.Summary{}, err
	}
	sum, err := a.deliver(ctx, actor, n, release)
	return sum, beingSent(err)
}

// beingSent makes the error of a send that another sender holds an
// ErrWrongState too: the issue is being sent already.
func beingSent(err error) error {
	if errors.Is(err, store.ErrLocked) && !errors.Is(err, ErrWrongState) {
		return fmt.Errorf("%w: being sent already: %w", ErrWrongState, err)
	}
	return err
}

// Release is Approve without the wait: it releases issue n and publishes
// it, and bulletin serve's send-scheduled job sends it within the minute
// (the job's lease, grace on a stop and status apply, as to a scheduled
// send). For a web request, which must not wait for a send. Review must be
// on, or no job takes the send up.
func (a *App) Release(ctx context.Context, actor string, n int) error {
	if !a.Config.Digest.Review {
		return &InputError{"issue", "digest.review is off, so no job takes the send up: approve the issue instead"}
	}
	release, err := a.releaseFunc(ctx, actor, n, "released")
	if err != nil {
		return err
	}
	news, err := a.Newsletter()
	if err != nil {
		return err
	}
	lease, err := news.LeaseSend(ctx, n)
	if err != nil {
		return beingSent(err)
	}
	defer lease.Release()
	if release != nil {
		if _, err := release(ctx); err != nil {
			return err
		}
	}
	if err := a.publishReleased(ctx, actor, n); err != nil {
		return err
	}
	return nil
}

// releaseFunc returns what moves issue n to sending for actor, or nil for
// an issue in that state already, whose send is to be finished.
func (a *App) releaseFunc(ctx context.Context, actor string, n int, why string) (func(context.Context) (bool, error), error) {
	is, err := a.Store.Issue(ctx, n)
	if err != nil {
		return nil, err
	}
	switch is.State {
	case store.IssueSent:
		return nil, &store.StateError{Issue: n, State: is.State, Op: "approve"}
	case store.IssueSending:
		return nil, a.Store.SetSendError(ctx, n, "", actor) // a person asked: take it up again
	}
	return func(ctx context.Context) (bool, error) {
		_, err := a.Store.MoveIssue(ctx, n, store.IssueSending, a.now(), actor, store.AuditIssueRelease, why)
		return err == nil, err
	}, nil
}

// deliver sends issue n under its send lock, taken first: release, when
// not nil, moves the issue to sending (false: it is no longer to be
// released, and nothing is sent), then the feeds and pages are published
// and the send runs. No other sender (the send-scheduled job, another
// process) starts the same send between the release and the send.
func (a *App) deliver(ctx context.Context, actor string, n int, release func(context.Context) (bool, error)) (newsletter.Summary, error) {
	news, err := a.Newsletter()
	if err != nil {
		return newsletter.Summary{}, err
	}
	lease, err := news.LeaseSend(ctx, n)
	if err != nil {
		return newsletter.Summary{}, err
	}
	defer lease.Release()
	if release != nil {
		ok, err := release(ctx)
		if err != nil || !ok {
			return newsletter.Summary{}, err
		}
	}
	if err := a.publishReleased(ctx, actor, n); err != nil {
		return newsletter.Summary{}, err
	}
	return a.SendAs(ctx, actor, newsletter.SendRequest{Issue: n, Holder: lease.Holder})
}

// publishReleased publishes after issue n's release. A publish that fails
// stops the send before a message leaves (the email links to the issue's
// page), and says why on the issue.
func (a *App) publishReleased(ctx context.Context, actor string, n int) error {
	if _, err := a.Publish(ctx, "", false); err != nil {
		a.Store.SetSendError(context.WithoutCancel(ctx), n, "not published: "+err.Error(), actor)
		return err
	}
	return nil
}

// SendDue is the send-scheduled job: it releases and sends each scheduled
// issue whose time has come, and takes up the sends of released issues
// that no one is sending (a Release, or a send whose process died or was
// stopped). A scheduled time that passed while bulletin was not running is
// made up when it starts again within schedule.catch_up, as a missed job
// run is; later than that, the issue goes back to draft, and the audit log
// says so. It returns what it did, "" when nothing was due.
func (a *App) SendDue(ctx context.Context) (string, error) {
	now := a.now()
	a.watchSince.CompareAndSwap(nil, &now)
	due, err := a.Store.IssuesToDeliver(ctx, now)
	if err != nil {
		return "", err
	}
	var did []string
	var errs []error
	for _, n := range due {
		if shutdown.Requested(ctx) {
			break
		}
		is, err := a.Store.Issue(ctx, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var release func(context.Context) (bool, error)
		if is.State == store.IssueScheduled {
			if a.missed(is.SendAt, now) {
				detail := fmt.Sprintf("scheduled for %s, when bulletin was not running; %s is more than schedule.catch_up (%s) later",
					a.showTime(is.SendAt), a.showTime(now), a.Config.Schedule.CatchUp)
				if _, err := a.Store.MoveIssue(ctx, n, store.IssueDraft, time.Time{}, ActorSendJob, store.AuditIssueMissed, detail); err != nil {
					errs = append(errs, err)
					continue
				}
				a.Log.Warn("scheduled issue missed its time: it is a draft again", "issue", n, "due", is.SendAt, "catch_up", a.Config.Schedule.CatchUp)
				did = append(did, fmt.Sprintf("issue #%d missed its time, a draft again", n))
				continue
			}
			release = func(ctx context.Context) (bool, error) {
				return a.Store.ReleaseIfDue(ctx, n, now, ActorSendJob, "scheduled for "+a.showTime(is.SendAt))
			}
		}
		sum, err := a.deliver(ctx, ActorSendJob, n, release)
		if errors.Is(err, store.ErrLocked) {
			continue // another sender has it in hand
		}
		if sum.Issue != 0 {
			did = append(did, sum.String())
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return strings.Join(did, "; "), errors.Join(errs...)
}

// missed tells whether a scheduled time is too old to send at now: it
// passed before this process looked after scheduled issues (bulletin was
// not running, or ran no send-scheduled job), more than the catch-up
// window ago. An issue that fell due while the job was busy is late, not
// missed.
func (a *App) missed(due, now time.Time) bool {
	since := a.watchSince.Load()
	return since != nil && due.Before(*since) && now.Sub(due) > a.Config.Schedule.CatchUp
}

// recordSend puts on issue sum.Issue what its send came to: sent, when it
// ran to the end (no message left pending; failed and unconfirmed ones are
// settled); stopped short with the reason, for a person to look at, when
// it paused or left messages pending. A send cut short by a stop, or that
// another sender holds, records nothing: it is taken up again. Nor does a
// process of a shared send that ends while others still have rows in hand.
func (a *App) recordSend(ctx context.Context, actor string, sum newsletter.Summary, err error) {
	ctx = context.WithoutCancel(ctx)
	n := sum.Issue
	switch {
	case errors.Is(err, store.ErrLocked), errors.Is(err, store.ErrWrongState):
		return
	case errors.Is(err, shutdown.ErrStopped), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return
	case err == nil && sum.Others > 0:
		// Other processes share the send and are at work on the rest: the
		// last of them to finish says how it ended.
		return
	case err == nil && sum.Remaining == 0:
		if _, err := a.Store.MarkSent(ctx, n, actor, sum.String()); err != nil {
			a.Log.Error("cannot record the end of a send", "issue", n, "err", err)
		}
		return
	}
	reason := fmt.Sprintf("%d messages still pending after their retries", sum.Remaining)
	if err != nil {
		reason = err.Error()
	}
	if err := a.Store.SetSendError(ctx, n, reason, actor); err != nil {
		a.Log.Error("cannot record why a send stopped", "issue", n, "err", err)
	}
}
