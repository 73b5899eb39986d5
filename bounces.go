package bulletin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/newsletter/bounce"
	"github.com/bulletin-app/bulletin/newsletter/mailbox"
	"github.com/bulletin-app/bulletin/store"
)

// BounceReport is what one read of the bounce mailbox did.
type BounceReport struct {
	mailbox.Summary
	// Recorded counts the reports recorded this run, by kind; Duplicates
	// those recorded before (a message read again after a stop).
	Recorded   map[store.BounceKind]int
	Duplicates int
	// Changed counts the subscribers whose status a report changed, by
	// their new status (bounced, complained).
	Changed map[store.SubscriberStatus]int

	ran bool
}

func (r BounceReport) String() string {
	if !r.ran {
		return "no bounce mailbox"
	}
	var b strings.Builder
	b.WriteString(r.Summary.String())
	fmt.Fprintf(&b, "; recorded %d hard, %d soft, %d complaints", r.Recorded[store.BounceHard], r.Recorded[store.BounceSoft], r.Recorded[store.BounceComplaint])
	if r.Duplicates > 0 {
		fmt.Fprintf(&b, " (%d recorded before)", r.Duplicates)
	}
	fmt.Fprintf(&b, "; %d subscribers bounced, %d complained", r.Changed[store.StatusBounced], r.Changed[store.StatusComplained])
	return b.String()
}

func (r *BounceReport) add(res newsletter.BounceResult) {
	if r.Recorded == nil {
		r.Recorded, r.Changed = map[store.BounceKind]int{}, map[store.SubscriberStatus]int{}
	}
	switch {
	case res.Event.Kind == bounce.None:
	case res.Outcome.Duplicate:
		r.Duplicates++
	default:
		r.Recorded[store.BounceKind(res.Event.Kind)]++
		if res.Outcome.Changed() {
			r.Changed[res.Outcome.After]++
		}
	}
}

// ErrUnusable is wrapped by the error for a message that is no report
// bulletin can use: not a bounce or complaint, not mail, or about no
// delivery of this newsletter.
var ErrUnusable = errors.New("not a bounce or complaint about this newsletter's mail")

func (a *App) mailboxOptions() mailbox.Options {
	m := a.Config.Newsletter.Bounces.Mailbox
	return mailbox.Options{
		Host: m.Host, Port: m.Port, TLS: m.TLS, Username: m.Username, Password: m.Password,
		Folder: m.Folder, ProcessedFolder: m.ProcessedFolder, UnhandledFolder: m.UnhandledFolder,
		MaxMessages: m.MaxMessages, MaxBytes: bounce.MaxMessageBytes, Timeout: a.Config.Fetch.Timeout,
		Logger: a.Log,
	}
}

// ReadBounces reads the bounce mailbox once: every report is recorded on
// its delivery (see newsletter.HandleBounce) and moved to the processed
// folder; what is no report it can use goes to the unhandled folder for a
// person. A message is moved only once recorded, and recorded once
// however often it is read, so a stop at any point loses and counts
// nothing twice.
func (a *App) ReadBounces(ctx context.Context) (BounceReport, error) {
	rep := BounceReport{ran: true}
	if a.Config.Newsletter.Bounces.Mailbox.Host == "" {
		return rep, errors.New("no bounce mailbox: set newsletter.bounces.mailbox.host")
	}
	news, err := a.Newsletter()
	if err != nil {
		return rep, err
	}
	sum, err := mailbox.Process(ctx, a.mailboxOptions(), func(ctx context.Context, raw []byte) (mailbox.Verdict, error) {
		res, err := handleBounceMessage(ctx, news, raw)
		if errors.Is(err, ErrUnusable) {
			a.Log.Info("bounce mailbox: a message kept for a person", "folder", a.Config.Newsletter.Bounces.Mailbox.UnhandledFolder, "reason", err)
			return mailbox.Unhandled, nil
		}
		if err != nil {
			return 0, err
		}
		rep.add(res)
		return mailbox.Processed, nil
	})
	rep.Summary = sum
	if err != nil {
		return rep, fmt.Errorf("bounce mailbox %s: %w", a.Config.Newsletter.Bounces.Mailbox.Host, err)
	}
	return rep, nil
}

// BouncesNow runs the bounces job once, by hand: as ReadBounces, recorded
// as the job's run and never overlapping a scheduled one.
func (a *App) BouncesNow(ctx context.Context) (BounceReport, error) {
	var rep RunReport
	if a.Config.Newsletter.Bounces.Mailbox.Host == "" {
		return rep.Bounces, errors.New("no bounce mailbox: set newsletter.bounces.mailbox.host")
	}
	err := a.runNow(ctx, JobBounces, &rep)
	return rep.Bounces, err
}

// ProcessBounceMessage reads one bounce or complaint, as a file or as an
// MTA pipes it, and records it as the bounces job would. A message that is
// no report this newsletter can use returns an error wrapping
// ErrUnusable.
func (a *App) ProcessBounceMessage(ctx context.Context, r io.Reader) (newsletter.BounceResult, error) {
	raw, err := io.ReadAll(io.LimitReader(r, bounce.MaxMessageBytes))
	if err != nil {
		return newsletter.BounceResult{}, err
	}
	// The rest is read and dropped: an MTA writing into a pipe must not
	// see it closed early.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return newsletter.BounceResult{}, err
	}
	news, err := a.Newsletter()
	if err != nil {
		return newsletter.BounceResult{}, err
	}
	return handleBounceMessage(ctx, news, raw)
}

func handleBounceMessage(ctx context.Context, news *newsletter.Newsletter, raw []byte) (newsletter.BounceResult, error) {
	ev, err := bounce.ParseMessage(raw)
	if err != nil {
		return newsletter.BounceResult{Event: ev}, fmt.Errorf("%w: %v", ErrUnusable, err)
	}
	res, err := news.HandleBounce(ctx, ev, false)
	if errors.Is(err, newsletter.ErrUnmatched) {
		what := string(ev.Kind)
		if what == "" {
			what = "no-failure"
		}
		return res, fmt.Errorf("%w: a %s %s report that %v", ErrUnusable, what, ev.Format, err)
	}
	return res, err
}
