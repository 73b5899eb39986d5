package admin

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/bulletin-app/bulletin/store"
)

type dashboardPage struct {
	page
	Review bool
	// Next is the draft or the scheduled issue awaiting its send, if any.
	Next *store.IssueSummary
	// Sends are the last issues released, newest first.
	Sends   []sendRow
	Failing []Source
	Paused  int
	Counts  []statusCount
	Total   int
	Growth  chart
}

// sendRow is one issue's send, as the ledger has it.
type sendRow struct {
	Issue       store.IssueSummary
	Sent        int
	Pending     int
	Failed      int
	Unconfirmed int // handed to the server, its reply never read
	Bounced     int // hard and soft bounces reported after the send
	Complaints  int
}

type statusCount struct {
	Status store.SubscriberStatus
	N      int
}

// sendsShown is how many of the last sends the dashboard shows.
const sendsShown = 5

// growthDays is how far back the growth chart goes.
const growthDays = 90

func (h *handler) dashboard(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	p := &dashboardPage{page: page{Title: "Dashboard", Section: "dashboard"}, Review: h.app.Review()}
	issues, err := h.app.ListIssues(ctx, 20)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for i := range issues {
		is := issues[i]
		if (is.State == store.IssueDraft || is.State == store.IssueScheduled) && p.Next == nil {
			p.Next = &is
		}
		if !is.State.Released() || len(p.Sends) == sendsShown {
			continue
		}
		row, err := h.sendRow(r, is)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		p.Sends = append(p.Sends, row)
	}
	sources, err := h.app.Sources(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, src := range sources {
		if src.Failing() && src.Paused == nil {
			p.Failing = append(p.Failing, src)
		}
		if src.Paused != nil {
			p.Paused++
		}
	}
	counts, err := h.app.CountSubscribers(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, st := range store.SubscriberStatuses {
		p.Counts = append(p.Counts, statusCount{st, counts[st]})
		p.Total += counts[st]
	}
	days, err := h.app.ConfirmedByDay(ctx, growthDays)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	p.Growth = growthChart(days)
	h.render(w, r, http.StatusOK, "dashboard", s, p)
}

func (h *handler) sendRow(r *http.Request, is store.IssueSummary) (sendRow, error) {
	d, err := h.app.DeliveryCounts(r.Context(), is.Number)
	if err != nil {
		return sendRow{}, err
	}
	b, err := h.app.BounceCounts(r.Context(), is.Number)
	if err != nil {
		return sendRow{}, err
	}
	return sendRow{Issue: is, Sent: d[store.DeliverySent], Pending: d[store.DeliveryPending], Failed: d[store.DeliveryFailed],
		Unconfirmed: d[store.DeliverySending], Bounced: b[store.BounceHard] + b[store.BounceSoft], Complaints: b[store.BounceComplaint]}, nil
}

// chart is a line of counts over days, drawn as SVG in the page: no
// script, no image to fetch.
type chart struct {
	Width, Height int
	Points        string // the polyline's
	Area          string // the polygon under it
	Min, Max      int
	First, Last   store.DayCount
	TopY, BaseY   int
	Label         string // for those who cannot see it
}

func growthChart(days []store.DayCount) chart {
	c := chart{Width: 640, Height: 160, TopY: 12, BaseY: 140}
	if len(days) == 0 {
		return c
	}
	c.First, c.Last = days[0], days[len(days)-1]
	c.Min, c.Max = days[0].Count, days[0].Count
	for _, d := range days {
		c.Min, c.Max = min(c.Min, d.Count), max(c.Max, d.Count)
	}
	lo, hi := c.Min, c.Max
	if hi == lo {
		lo, hi = max(lo-1, 0), hi+1
	}
	left, right := 48.0, float64(c.Width-8)
	var pts []string
	for i, d := range days {
		x := left
		if len(days) > 1 {
			x += (right - left) * float64(i) / float64(len(days)-1)
		}
		y := float64(c.BaseY) - float64(c.BaseY-c.TopY)*float64(d.Count-lo)/float64(hi-lo)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
	}
	c.Points = strings.Join(pts, " ")
	c.Area = fmt.Sprintf("%.1f,%d %s %.1f,%d", left, c.BaseY, c.Points, right, c.BaseY)
	c.Label = fmt.Sprintf("Confirmed subscribers over the last %d days: %d on %s, %d on %s; at least %d, at most %d.",
		len(days), c.First.Count, c.First.Day.Format("2 January"), c.Last.Count, c.Last.Day.Format("2 January"), c.Min, c.Max)
	return c
}
