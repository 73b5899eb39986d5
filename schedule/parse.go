// Package schedule runs bulletin's jobs on cron specs: once per fire time,
// across daylight-saving changes, restarts and processes sharing a database.
// Missed runs are caught up at start-up within a window, a job never overlaps
// itself (in this process or another), and a stop lets running jobs finish.
package schedule

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// parser reads the five standard fields (minute hour day month weekday) and
// descriptors such as @daily or @every 1h.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Parse reads a cron spec, optionally prefixed with CRON_TZ=Zone (or TZ=),
// whose times are in loc otherwise (nil means time.Local). It never panics:
// robfig/cron does on some malformed input, so its parser runs under recover
// and the zone prefix is checked before it sees it.
//
// The schedule it returns keeps to the wall clock across daylight-saving
// changes: a time in the hour skipped in spring fires once, at the first
// instant after the gap, and a time in the hour repeated in autumn fires once,
// at its first occurrence. robfig/cron alone skips the first and doubles the
// second.
//
// "@every d" fires at the multiples of d since the Unix epoch (midnight UTC,
// 1 January 1970), not d after the process started: every process computes
// the same fire times, so replicas sharing a database claim each of them
// once. An interval that divides a day fires at the same UTC clock times
// each day (@every 1h on the hour, @every 90m at 00:00, 01:30…); the zone
// plays no part.
func Parse(spec string, loc *time.Location) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("invalid cron spec %q: %v", spec, r)
		}
	}()
	if loc == nil {
		loc = time.Local
	}
	rest := strings.TrimSpace(spec)
	if rest == "" {
		return nil, fmt.Errorf("empty cron spec")
	}
	if strings.HasPrefix(rest, "TZ=") || strings.HasPrefix(rest, "CRON_TZ=") {
		prefix, fields, _ := strings.Cut(rest, " ")
		_, zone, _ := strings.Cut(prefix, "=")
		if zone == "" {
			return nil, fmt.Errorf("cron spec %q: %s names no time zone", spec, prefix)
		}
		if loc, err = time.LoadLocation(zone); err != nil {
			return nil, fmt.Errorf("cron spec %q: unknown time zone %q", spec, zone)
		}
		if rest = strings.TrimSpace(fields); rest == "" {
			return nil, fmt.Errorf("cron spec %q: no fields after the time zone", spec)
		}
	}
	s, err := parser.Parse(rest)
	if err != nil {
		return nil, fmt.Errorf("cron spec %q: %s", spec, explain(rest, err))
	}
	if ss, ok := s.(*cron.SpecSchedule); ok {
		// The fields are matched against the wall clock as if it were UTC,
		// which has no gaps or repeats; wallSchedule maps back to instants.
		floating := *ss
		floating.Location = time.UTC
		s = &wallSchedule{spec: &floating, loc: loc}
	}
	if cd, ok := s.(cron.ConstantDelaySchedule); ok {
		s = everySchedule{every: cd.Delay}
	}
	// The parser gives up after five years, so this catches specs such as
	// February 30th that can never fire.
	if s.Next(time.Now()).IsZero() {
		return nil, fmt.Errorf("cron spec %q never fires", spec)
	}
	return s, nil
}

// everySchedule fires every interval, at the multiples of it since the Unix
// epoch. robfig/cron's ConstantDelaySchedule counts from whatever time it is
// asked about, so each process would fire at times of its own. The interval
// is whole seconds, at least one (cron.Every rounds it so).
type everySchedule struct{ every time.Duration }

// Next returns the first multiple of the interval after t.
func (e everySchedule) Next(t time.Time) time.Time {
	d := int64(e.every / time.Second)
	sec := t.Unix() // whole seconds, rounded down: t is at or after sec
	k := sec / d
	if sec%d < 0 {
		k-- // floor for times before the epoch
	}
	return time.Unix((k+1)*d, 0).In(t.Location())
}

// wallSchedule is a cron spec read against the wall clock of loc.
type wallSchedule struct {
	spec *cron.SpecSchedule // in UTC, standing for loc's wall clock
	loc  *time.Location
}

// Location is the zone whose wall clock the schedule follows.
func (w *wallSchedule) Location() *time.Location { return w.loc }

// Next returns the first fire time after t, or the zero time if there is
// none within five years.
func (w *wallSchedule) Next(t time.Time) time.Time {
	wall := wallClock(t.In(w.loc))
	// Each step moves the wall clock forward; only fire times whose instant
	// was already passed (the repeated hour) need another, so a few suffice.
	for range 1000 {
		wall = w.spec.Next(wall)
		if wall.IsZero() {
			return time.Time{}
		}
		if at := w.instant(wall); at.After(t) {
			return at.In(t.Location())
		}
	}
	return time.Time{}
}

// wallClock is t's clock reading as a time in UTC.
func wallClock(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC)
}

// instant is the first moment loc's clock shows wall, or when it does not
// (the hour skipped in spring), the first moment after it.
func (w *wallSchedule) instant(wall time.Time) time.Time {
	// The offsets in force around wall are the candidates: a reading exists
	// at wall minus one of them, if at all.
	var first, gapEnd time.Time
	for _, probe := range []time.Duration{-26 * time.Hour, -13 * time.Hour, 0, 13 * time.Hour, 26 * time.Hour} {
		_, off := wall.Add(probe).In(w.loc).Zone()
		at := wall.Add(-time.Duration(off) * time.Second)
		if wallClock(at.In(w.loc)).Equal(wall) {
			if first.IsZero() || at.Before(first) {
				first = at
			}
			continue
		}
		// No such reading under this offset: wall falls in a gap, which
		// ends where the zone in force at at began.
		start, _ := at.In(w.loc).ZoneBounds()
		if !start.IsZero() && wallClock(start.In(w.loc)).After(wall) &&
			!wallClock(start.Add(-time.Nanosecond).In(w.loc)).After(wall) {
			if gapEnd.IsZero() || start.Before(gapEnd) {
				gapEnd = start
			}
		}
	}
	switch {
	case !first.IsZero():
		return first
	case !gapEnd.IsZero():
		return gapEnd
	}
	return time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), wall.Nanosecond(), w.loc)
}

// fieldNames are the five fields of a spec, and what each takes by name.
var fieldNames = [5]struct{ name, names string }{
	{"minute", ""}, {"hour", ""}, {"day of month", ""}, {"month", " or a name (jan-dec)"}, {"weekday", " or a name (sun-sat)"},
}

var notANumber = regexp.MustCompile(`^failed to parse int from (.*?): strconv\.`)

// explain rewrites robfig/cron's message for a value that is neither a
// number nor a name it knows, which names Go's strconv.Atoi and not the
// field: "weekday: "mnn" is not a number or a name (sun-sat)".
func explain(fields string, err error) string {
	m := notANumber.FindStringSubmatch(err.Error())
	if m == nil {
		return err.Error()
	}
	f := strings.Fields(fields)
	for i := len(f) - 1; i >= 0 && len(f) == len(fieldNames); i-- {
		for _, part := range strings.FieldsFunc(f[i], func(r rune) bool { return r == ',' || r == '-' || r == '/' }) {
			if part == m[1] {
				fn := fieldNames[i]
				if strings.Trim(part, "0123456789") == "" {
					return fmt.Sprintf("%s: %s is out of range", fn.name, part)
				}
				return fmt.Sprintf("%s: %q is not a number%s", fn.name, m[1], fn.names)
			}
		}
	}
	return fmt.Sprintf("%q is not a number or a name", m[1])
}
