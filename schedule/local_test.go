package schedule

import (
	"testing"
	"time"
)

func TestParseLocal(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	berlin := mustLoad(t, "Europe/Berlin")
	for _, tc := range []struct {
		in   string
		loc  *time.Location
		want time.Time // UTC; zero: refused
	}{
		{"2026-12-02 09:00", berlin, time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)},
		{"2026-07-02T09:00", berlin, time.Date(2026, 7, 2, 7, 0, 0, 0, time.UTC)},
		{" 2026-07-02 09:00:30 ", time.UTC, time.Date(2026, 7, 2, 9, 0, 30, 0, time.UTC)},
		// New York springs forward at 2:00 on 8 March 2026: 2:30 never is.
		{"2026-03-08 02:30", ny, time.Time{}},
		{"2026-03-08 03:30", ny, time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC)},
		// It falls back at 2:00 on 1 November: 1:30 is twice, EDT first.
		{"2026-11-01 01:30", ny, time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC)},
		{"2026-11-01 02:30", ny, time.Date(2026, 11, 1, 7, 30, 0, 0, time.UTC)},
		{"2026-02-30 09:00", ny, time.Time{}},
		{"next tuesday", ny, time.Time{}},
		{"2026-12-02", ny, time.Time{}},
	} {
		got, err := ParseLocal(tc.in, tc.loc)
		if tc.want.IsZero() {
			if err == nil {
				t.Errorf("ParseLocal(%q, %s) = %v; want an error", tc.in, tc.loc, got)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseLocal(%q, %s) = %v, %v; want %v", tc.in, tc.loc, got.UTC(), err, tc.want)
		}
	}
}
