package schedule

import (
	"fmt"
	"strings"
	"time"
)

// localLayouts are the forms a time of day on a date is written in: as
// people type it, and as an HTML datetime-local field sends it.
var localLayouts = []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05"}

// ParseLocal reads a wall-clock time on a date, such as "2026-12-02 09:00",
// in loc. A time that loc skips (the hour lost when clocks go forward) is
// refused; one that it has twice (the hour repeated when they go back)
// is the first of the two, before the clocks change, so that a send is
// never later than asked.
func ParseLocal(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	var wall time.Time
	var err error
	for _, layout := range localLayouts {
		if wall, err = time.Parse(layout, s); err == nil {
			break
		}
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: want a date and a time of day, like 2026-12-02 09:00", s)
	}
	y, mo, d := wall.Date()
	h, mi, sec := wall.Clock()
	t := time.Date(y, mo, d, h, mi, sec, 0, loc)
	if th, tm, ts := t.Clock(); th != h || tm != mi || ts != sec || t.Day() != d {
		return time.Time{}, fmt.Errorf("time %q does not exist in %s: the clocks skip it (they go forward then)", s, loc)
	}
	// Go picks one of the two readings of a repeated time; take the
	// earlier when there are two.
	for _, back := range []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour} {
		if e := t.Add(-back); e.Hour() == h && e.Minute() == mi && e.Second() == sec && e.Day() == d {
			t = e
		}
	}
	return t, nil
}
