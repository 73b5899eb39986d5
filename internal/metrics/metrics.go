// Package metrics keeps bulletin's counters and writes them, with figures
// read at scrape time, in the Prometheus text exposition format (version
// 0.0.4). It is a few hundred lines instead of the Prometheus client and
// its dependencies, since bulletin needs only counters, gauges and one
// histogram.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Type is the kind of a metric, as named on its TYPE line.
type Type string

const (
	Counter   Type = "counter"
	Gauge     Type = "gauge"
	Histogram Type = "histogram"
)

// Label is one name="value" pair of a sample.
type Label struct{ Name, Value string }

// Sample is one line of a family: Suffix is "" or, for histograms,
// "_bucket", "_sum" or "_count".
type Sample struct {
	Suffix string
	Labels []Label
	Value  float64
}

// Family is a metric and its samples as written at one scrape.
type Family struct {
	Name    string
	Help    string
	Type    Type
	Samples []Sample
}

// Collector reads figures at scrape time, where they live somewhere else
// (counts in the database, say).
type Collector func(ctx context.Context) ([]Family, error)

// Registry holds the metrics kept in memory and the collectors read at each
// scrape. The zero value is ready to use and safe for concurrent use.
type Registry struct {
	mu         sync.Mutex
	vecs       map[string]*vec
	collectors []Collector
}

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

func checkNames(name string, labels []string) error {
	if !metricName.MatchString(name) {
		return fmt.Errorf("metrics: invalid metric name %q", name)
	}
	for _, l := range labels {
		if !labelName.MatchString(l) || strings.HasPrefix(l, "__") || l == "le" {
			return fmt.Errorf("metrics: metric %s: invalid label name %q", name, l)
		}
	}
	return nil
}

// register returns the vector called name, making it on first use. Names
// and label names come from code, not users, so a wrong one panics as a
// programming error would.
func (r *Registry) register(name, help string, typ Type, labels []string, buckets []float64) *vec {
	if err := checkNames(name, labels); err != nil {
		panic(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.vecs[name]; ok {
		if v.typ != typ || !slices.Equal(v.labels, labels) {
			panic(fmt.Sprintf("metrics: %s registered twice with different shapes", name))
		}
		return v
	}
	if r.vecs == nil {
		r.vecs = map[string]*vec{}
	}
	v := &vec{name: name, help: help, typ: typ, labels: labels, buckets: buckets, series: map[string]*series{}}
	r.vecs[name] = v
	return v
}

// Counter returns the counter family called name with the given label
// names, registering it on first use.
func (r *Registry) Counter(name, help string, labels ...string) *CounterVec {
	return &CounterVec{r.register(name, help, Counter, labels, nil)}
}

// Gauge returns the gauge family called name, registering it on first use.
func (r *Registry) Gauge(name, help string, labels ...string) *GaugeVec {
	return &GaugeVec{r.register(name, help, Gauge, labels, nil)}
}

// Histogram returns the histogram family called name with the given upper
// bucket bounds (sorted; +Inf is added), registering it on first use.
func (r *Registry) Histogram(name, help string, buckets []float64, labels ...string) *HistogramVec {
	b := slices.Clone(buckets)
	sort.Float64s(b)
	return &HistogramVec{r.register(name, help, Histogram, labels, b)}
}

// Collect adds a collector read at every scrape.
func (r *Registry) Collect(c Collector) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.collectors = append(r.collectors, c)
}

type vec struct {
	name, help string
	typ        Type
	labels     []string
	buckets    []float64

	mu     sync.Mutex
	series map[string]*series
}

type series struct {
	labels []Label
	value  float64   // counter or gauge value; histogram sum
	counts []float64 // histogram: per bucket, then the total count
}

func (v *vec) with(values []string) *series {
	if len(values) != len(v.labels) {
		panic(fmt.Sprintf("metrics: %s takes %d label values, got %d", v.name, len(v.labels), len(values)))
	}
	key := strings.Join(values, "\xff")
	v.mu.Lock()
	defer v.mu.Unlock()
	s, ok := v.series[key]
	if !ok {
		s = &series{labels: make([]Label, len(values))}
		for i, val := range values {
			s.labels[i] = Label{v.labels[i], val}
		}
		if v.typ == Histogram {
			s.counts = make([]float64, len(v.buckets)+1)
		}
		v.series[key] = s
	}
	return s
}

// CounterVec is a counter family; With picks one series by label values.
type CounterVec struct{ v *vec }

// Add adds delta (which must not be negative) to the series with the given
// label values.
func (c *CounterVec) Add(delta float64, values ...string) {
	if delta < 0 {
		return // a counter only goes up
	}
	s := c.v.with(values)
	c.v.mu.Lock()
	s.value += delta
	c.v.mu.Unlock()
}

// Inc adds one.
func (c *CounterVec) Inc(values ...string) { c.Add(1, values...) }

// GaugeVec is a gauge family.
type GaugeVec struct{ v *vec }

// Set sets the series with the given label values.
func (g *GaugeVec) Set(value float64, values ...string) {
	s := g.v.with(values)
	g.v.mu.Lock()
	s.value = value
	g.v.mu.Unlock()
}

// Add adds delta to the series with the given label values.
func (g *GaugeVec) Add(delta float64, values ...string) {
	s := g.v.with(values)
	g.v.mu.Lock()
	s.value += delta
	g.v.mu.Unlock()
}

// HistogramVec is a histogram family.
type HistogramVec struct{ v *vec }

// Observe counts value in the series with the given label values.
func (h *HistogramVec) Observe(value float64, values ...string) {
	s := h.v.with(values)
	h.v.mu.Lock()
	defer h.v.mu.Unlock()
	s.value += value
	for i, le := range h.v.buckets {
		if value <= le {
			s.counts[i]++
		}
	}
	s.counts[len(h.v.buckets)]++
}

// family is a snapshot of v for one scrape.
func (v *vec) family() Family {
	v.mu.Lock()
	defer v.mu.Unlock()
	f := Family{Name: v.name, Help: v.help, Type: v.typ}
	keys := make([]string, 0, len(v.series))
	for k := range v.series {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s := v.series[k]
		if v.typ != Histogram {
			f.Samples = append(f.Samples, Sample{Labels: slices.Clone(s.labels), Value: s.value})
			continue
		}
		for i, le := range append(slices.Clone(v.buckets), math.Inf(1)) {
			labels := append(slices.Clone(s.labels), Label{"le", formatValue(le)})
			f.Samples = append(f.Samples, Sample{Suffix: "_bucket", Labels: labels, Value: s.counts[i]})
		}
		f.Samples = append(f.Samples,
			Sample{Suffix: "_sum", Labels: slices.Clone(s.labels), Value: s.value},
			Sample{Suffix: "_count", Labels: slices.Clone(s.labels), Value: s.counts[len(v.buckets)]})
	}
	return f
}

// Gather returns every family, those in memory and those the collectors
// read, sorted by name. A collector's error is returned after the others
// were gathered, so that one broken source does not hide the rest; a family
// whose name is taken or invalid is left out and reported the same way.
func (r *Registry) Gather(ctx context.Context) ([]Family, error) {
	r.mu.Lock()
	vecs := make([]*vec, 0, len(r.vecs))
	for _, v := range r.vecs {
		vecs = append(vecs, v)
	}
	collectors := slices.Clone(r.collectors)
	r.mu.Unlock()

	seen := map[string]bool{}
	var out []Family
	for _, v := range vecs {
		seen[v.name] = true
		out = append(out, v.family())
	}
	var errs []error
	for _, c := range collectors {
		fams, err := c(ctx)
		if err != nil {
			errs = append(errs, err)
		}
		for _, f := range fams {
			labels := []string{}
			for _, s := range f.Samples {
				for _, l := range s.Labels {
					labels = append(labels, l.Name)
				}
			}
			if err := checkNames(f.Name, labels); err != nil {
				errs = append(errs, err)
				continue
			}
			if seen[f.Name] {
				errs = append(errs, fmt.Errorf("metrics: %s collected twice", f.Name))
				continue
			}
			seen[f.Name] = true
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if len(errs) > 0 {
		return out, fmt.Errorf("gather metrics: %w", errors.Join(errs...))
	}
	return out, nil
}
