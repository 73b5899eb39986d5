package newsletter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bulletin-app/bulletin/store"
)

// WeeklyLeads is how many entries of each issue a weekly digest takes:
// its lead stories, the lead first.
const WeeklyLeads = 3

// Week is the span a weekly digest covers: the week before it is made.
const Week = 7 * 24 * time.Hour

// ErrNoWeekly is returned by BuildWeekly when no issue was made in the
// week that an earlier digest has not covered.
var ErrNoWeekly = errors.New("no issue this week")

// BuildWeekly makes the weekly digest of the issues made in the week up to
// now that no earlier digest covered, for the subscribers who chose a
// weekly digest over every issue. Send sends it (SendRequest.Issue is its
// number), exactly once to each, through the same ledger as an issue.
func (n *Newsletter) BuildWeekly(ctx context.Context, now time.Time) (store.Weekly, error) {
	from := now.Add(-Week)
	// A digest that ran late (the service was down) still takes every
	// issue since the one before it, within two weeks.
	if last, err := n.st.LatestWeekly(ctx); err == nil && last.CreatedAt.Before(from) && last.CreatedAt.After(now.Add(-2*Week)) {
		from = last.CreatedAt
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.Weekly{}, err
	}
	title := fmt.Sprintf("The week in %s: %s", n.siteData().Title, span(from, now))
	w, err := n.st.CreateWeekly(ctx, from, now, title)
	if errors.Is(err, store.ErrNotFound) {
		return store.Weekly{}, fmt.Errorf("%w: %w", ErrNoWeekly, err)
	}
	return w, err
}

// span writes the days from a to b: "26 November – 2 December 2026".
func span(a, b time.Time) string {
	a, b = a.UTC(), b.UTC()
	switch {
	case a.Year() != b.Year():
		return a.Format("2 January 2006") + " – " + b.Format("2 January 2006")
	case a.Month() != b.Month():
		return a.Format("2 January") + " – " + b.Format("2 January 2006")
	}
	return a.Format("2") + "–" + b.Format("2 January 2006")
}

// loadWeekly reads a weekly digest as a mailing: the first WeeklyLeads
// entries of each issue it covers, oldest issue first.
func (n *Newsletter) loadWeekly(ctx context.Context, number int) (mailing, error) {
	w, err := n.st.Weekly(ctx, number)
	if err != nil {
		return mailing{}, err
	}
	m := mailing{Issue: store.Issue{Number: w.Number, Title: w.Title, CreatedAt: w.CreatedAt, State: store.IssueSent}, covered: []store.Issue{}}
	for k := w.FirstIssue; k <= w.LastIssue; k++ {
		is, err := n.st.Issue(ctx, k)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return mailing{}, fmt.Errorf("weekly digest %d: %w", number, err)
		}
		if !is.State.Released() {
			continue
		}
		m.covered = append(m.covered, is)
		m.Entries = append(m.Entries, is.Entries[:min(WeeklyLeads, len(is.Entries))]...)
	}
	return m, nil
}

// UnfinishedWeekly returns the latest weekly digest if its send was cut
// short (rows still pending) or not planned yet, else 0.
func (n *Newsletter) UnfinishedWeekly(ctx context.Context) (int, error) {
	w, err := n.st.LatestWeekly(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	counts, err := n.st.DeliveryCounts(ctx, w.Number)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, c := range counts {
		total += c
	}
	if counts[store.DeliveryPending] > 0 || total == 0 {
		return w.Number, nil
	}
	return 0, nil
}
