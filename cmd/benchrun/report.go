package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// metric is one measured quantity of one row for one binary, over runs.
type metric struct {
	row, bin, unit string
	vals           []float64
}

// results keep the metrics in the order they were first measured.
type results struct {
	list []*metric
}

func (r *results) add(row, bin, unit string, v float64) {
	for _, m := range r.list {
		if m.row == row && m.bin == bin && m.unit == unit {
			m.vals = append(m.vals, v)
			return
		}
	}
	r.list = append(r.list, &metric{row: row, bin: bin, unit: unit, vals: []float64{v}})
}

func (r *results) vals(row, bin, unit string) []float64 {
	for _, m := range r.list {
		if m.row == row && m.bin == bin && m.unit == unit {
			return m.vals
		}
	}
	return nil
}

// addSample records a child's wall time, CPU time and peak RSS.
func (r *results) addSample(row, bin string, s sample) {
	r.add(row, bin, "s", s.wall.Seconds())
	r.add(row, bin, "cpu-s", s.cpu.Seconds())
	r.add(row, bin, "MB", float64(s.rss)/1e6)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func num(v float64) string {
	switch a := abs(v); {
	case a >= 10000:
		return commas(fmt.Sprintf("%.0f", v))
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func commas(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// summary is "median [min–max] (n)".
func summary(v []float64) string {
	if len(v) == 0 {
		return "–"
	}
	if len(v) == 1 {
		return num(v[0])
	}
	return fmt.Sprintf("%s [%s–%s]", num(median(v)), num(slices.Min(v)), num(slices.Max(v)))
}

// print writes every metric as a Markdown table: one line per row and
// binary, one column per unit.
func (r *results) print(w io.Writer) {
	var units []string
	for _, m := range r.list {
		if !slices.Contains(units, m.unit) {
			units = append(units, m.unit)
		}
	}
	type key struct{ row, bin string }
	var keys []key
	for _, m := range r.list {
		k := key{m.row, m.bin}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	fmt.Fprintf(w, "| row | binary | %s |\n", strings.Join(units, " | "))
	fmt.Fprintf(w, "|---|---|%s\n", strings.Repeat("---|", len(units)))
	for _, k := range keys {
		cells := make([]string, len(units))
		for i, u := range units {
			cells[i] = summary(r.vals(k.row, k.bin, u))
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", k.row, k.bin, strings.Join(cells, " | "))
	}
}
