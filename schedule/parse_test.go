package schedule

import (
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParseRejectsBadSpecs(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"", "empty"},
		{"   ", "empty"},
		{"CRON_TZ=", "names no time zone"},
		{"TZ=", "names no time zone"},
		{"CRON_TZ=UTC", "no fields"},        // robfig/cron panics on this one
		{"TZ=Europe/Paris   ", "no fields"}, // and on this
		{"CRON_TZ= 0 7 * * *", "names no time zone"},
		{"CRON_TZ=Mars/Olympus 0 7 * * *", "unknown time zone"},
		{"CRON_TZ=../../etc/passwd 0 7 * * *", "unknown time zone"},
		{"61 * * * *", "above maximum"},
		{"* * * *", "expected exactly 5 fields"},
		{"0 7 * * * *", "expected exactly 5 fields"},
		{"0 0 30 2 *", "never fires"},
		{"*/0 * * * *", "step"},
		{"5-1 * * * *", "beyond end"},
		{"@yearly-ish", "unrecognized descriptor"},
		{"@every", "unrecognized descriptor"},
		{"@every fortnight", "failed to parse duration"},
		{"0 99999999999999999999 * * *", "hour: 99999999999999999999 is out of range"},
		{"0 7 * * mnn", `weekday: "mnn" is not a number or a name (sun-sat)`},
		{"0 7 * jna *", `month: "jna" is not a number or a name (jan-dec)`},
		{"0 7 * * mon-fry", `weekday: "fry" is not a number`},
		{"x 7 * * *", `minute: "x" is not a number`},
	} {
		sched, err := Parse(tc.spec, time.UTC)
		if err == nil {
			t.Errorf("Parse(%q) = %v; want an error", tc.spec, sched)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error %q; want it to say %q", tc.spec, err, tc.want)
		}
		if strings.Contains(err.Error(), "strconv") {
			t.Errorf("Parse(%q) error %q speaks of Go's internals", tc.spec, err)
		}
	}
}

func TestParseZones(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	paris := mustLoad(t, "Europe/Paris")
	from := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		spec string
		loc  *time.Location
		want time.Time
	}{
		{"0 7 * * *", time.UTC, time.Date(2026, 6, 1, 7, 0, 0, 0, time.UTC)},
		{"0 7 * * *", ny, time.Date(2026, 6, 1, 7, 0, 0, 0, ny)},
		{"CRON_TZ=Europe/Paris 0 7 * * *", ny, time.Date(2026, 6, 1, 7, 0, 0, 0, paris)},
		{"TZ=America/New_York 0 7 * * 1", time.UTC, time.Date(2026, 6, 1, 7, 0, 0, 0, ny)}, // a Monday
		{"  CRON_TZ=Europe/Paris   30 6 1 * *  ", nil, time.Date(2026, 6, 1, 6, 30, 0, 0, paris)},
		{"@daily", ny, time.Date(2026, 6, 1, 0, 0, 0, 0, ny)},
		{"@every 90m", ny, from.Add(90 * time.Minute)}, // from is a multiple of 90m since the epoch
	} {
		sched, err := Parse(tc.spec, tc.loc)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.spec, err)
			continue
		}
		if got := sched.Next(from); !got.Equal(tc.want) {
			t.Errorf("Parse(%q).Next(%v) = %v; want %v", tc.spec, from, got, tc.want)
		}
	}
}

// day lists the fire times of sched on one local date.
func firesOn(sched cron.Schedule, loc *time.Location, y int, m time.Month, d int) []time.Time {
	start := time.Date(y, m, d, 0, 0, 0, 0, loc)
	end := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	var out []time.Time
	for t := sched.Next(start.Add(-time.Second)); !t.IsZero() && t.Before(end); t = sched.Next(t) {
		out = append(out, t)
	}
	return out
}

// TestNextAcrossDST pins the wall-clock rule on New York's change days of
// 2026: spring forward at 02:00 on March 8th, fall back at 02:00 on
// November 1st.
func TestNextAcrossDST(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	at := func(m time.Month, d, h, min int, zone string) time.Time {
		tm := time.Date(2026, m, d, h, min, 0, 0, ny)
		if name, _ := tm.Zone(); name != zone {
			// time.Date picks one reading of an ambiguous time: take the other.
			tm = tm.Add(map[bool]time.Duration{true: time.Hour, false: -time.Hour}[zone == "EST"])
		}
		return tm
	}
	for _, tc := range []struct {
		spec string
		m    time.Month
		d    int
		want []time.Time
	}{
		// 02:30 does not exist: run once when the clock jumps to 03:00.
		{"30 2 * * *", time.March, 8, []time.Time{at(time.March, 8, 3, 0, "EDT")}},
		{"30 2 * * *", time.March, 7, []time.Time{at(time.March, 7, 2, 30, "EST")}},
		{"30 2 * * *", time.March, 9, []time.Time{at(time.March, 9, 2, 30, "EDT")}},
		// Every quarter hour through the gap: the gap's four fire once.
		{"*/15 2-3 * * *", time.March, 8, []time.Time{
			at(time.March, 8, 3, 0, "EDT"), at(time.March, 8, 3, 15, "EDT"),
			at(time.March, 8, 3, 30, "EDT"), at(time.March, 8, 3, 45, "EDT")}},
		// 01:30 happens twice: run at the first.
		{"30 1 * * *", time.November, 1, []time.Time{at(time.November, 1, 1, 30, "EDT")}},
		{"30 2 * * *", time.November, 1, []time.Time{at(time.November, 1, 2, 30, "EST")}},
		{"0 1-2 * * *", time.November, 1, []time.Time{at(time.November, 1, 1, 0, "EDT"), at(time.November, 1, 2, 0, "EST")}},
	} {
		sched, err := Parse(tc.spec, ny)
		if err != nil {
			t.Fatal(err)
		}
		got := firesOn(sched, ny, 2026, tc.m, tc.d)
		if len(got) != len(tc.want) {
			t.Errorf("%q on %v %d: fires at %v; want %v", tc.spec, tc.m, tc.d, got, tc.want)
			continue
		}
		for i := range got {
			if !got[i].Equal(tc.want[i]) {
				t.Errorf("%q on %v %d: fire %d at %v; want %v", tc.spec, tc.m, tc.d, i, got[i], tc.want[i])
			}
		}
	}
}

// TestRawCronMishandlesDST shows why Parse wraps robfig/cron's schedule: if
// the library changes, the wrapper may no longer be needed.
func TestRawCronMishandlesDST(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	raw := func(spec string) cron.Schedule {
		s, err := cron.ParseStandard("CRON_TZ=America/New_York " + spec)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if n := len(firesOn(raw("30 2 * * *"), ny, 2026, time.March, 8)); n != 0 {
		t.Errorf("robfig/cron fires 02:30 %d times on spring-forward day; documented as 0", n)
	}
	if n := len(firesOn(raw("30 1 * * *"), ny, 2026, time.November, 1)); n != 2 {
		t.Errorf("robfig/cron fires 01:30 %d times on fall-back day; documented as 2", n)
	}
}

// FuzzParse checks that no spec panics, and that a spec that parses gives
// fire times that move forward.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"0 7 * * 1", "CRON_TZ=", "TZ=UTC", "CRON_TZ=America/New_York 30 2 * * *",
		"@every 1h", "@weekly", "*/5 1-3,7 * jan-mar mon-fri", "0 0 29 2 *", "TZ=Local @hourly"} {
		f.Add(s)
	}
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, spec string) {
		sched, err := Parse(spec, time.UTC)
		if err != nil {
			return
		}
		next := sched.Next(from)
		if !next.IsZero() && !next.After(from) {
			t.Errorf("Parse(%q).Next(%v) = %v, not later", spec, from, next)
		}
	})
}

// TestEveryCountsFromTheEpoch: @every fires at the multiples of its
// interval since the Unix epoch, whenever it is asked from, so processes
// started at different times agree. The multiples of 7h are found here by
// stepping from the epoch, not by division.
func TestEveryCountsFromTheEpoch(t *testing.T) {
	epoch := time.Unix(0, 0).UTC()
	var sevens []time.Time
	for at := epoch; at.Year() < 2027; at = at.Add(7 * time.Hour) {
		if at.Year() == 2026 && at.Month() == time.June && at.Day() <= 2 {
			sevens = append(sevens, at)
		}
	}
	for _, tc := range []struct {
		spec string
		from time.Time
		want time.Time
	}{
		{"@every 90m", time.Date(2026, 6, 1, 0, 20, 0, 0, time.UTC), time.Date(2026, 6, 1, 1, 30, 0, 0, time.UTC)},
		{"@every 90m", time.Date(2026, 6, 1, 1, 29, 59, 999, time.UTC), time.Date(2026, 6, 1, 1, 30, 0, 0, time.UTC)},
		{"@every 90m", time.Date(2026, 6, 1, 1, 30, 0, 0, time.UTC), time.Date(2026, 6, 1, 3, 0, 0, 0, time.UTC)},
		{"@every 1h", time.Date(2026, 6, 1, 9, 0, 10, 0, time.UTC), time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)},
		{"@every 90m", time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC), epoch},
		{"@every 7h", sevens[0].Add(-time.Minute), sevens[0]},
		{"@every 7h", sevens[0], sevens[1]},
		{"@every 7h", sevens[1].Add(3 * time.Hour), sevens[2]},
	} {
		sched, err := Parse(tc.spec, mustLoad(t, "America/New_York"))
		if err != nil {
			t.Fatal(err)
		}
		if got := sched.Next(tc.from); !got.Equal(tc.want) {
			t.Errorf("Parse(%q).Next(%v) = %v; want %v", tc.spec, tc.from, got, tc.want)
		}
	}
}
