package metrics

import (
	"context"
	"errors"
	"math"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/internal/testtool"
)

func testRegistry() *Registry {
	r := &Registry{}
	runs := r.Counter("bulletin_job_runs_total", "Job runs by outcome.", "job", "outcome")
	runs.Inc("publish", "ok")
	runs.Inc("publish", "ok")
	runs.Inc("collect", "error")
	runs.Add(-5, "collect", "error") // ignored: counters only go up
	r.Gauge("bulletin_job_running", "1 while a job runs.\nOne line \\ two.", "job").Set(1, `odd "name"\with
newline`)
	h := r.Histogram("bulletin_job_duration_seconds", "How long runs took.", []float64{1, 0.1, 10}, "job")
	for _, v := range []float64{0.05, 0.5, 0.5, 20} {
		h.Observe(v, "publish")
	}
	r.Collect(func(ctx context.Context) ([]Family, error) {
		return []Family{{Name: "bulletin_articles", Help: "Articles stored.", Type: Gauge,
			Samples: []Sample{{Value: 42}}}}, nil
	})
	return r
}

func TestTextParsesStrictly(t *testing.T) {
	text, err := testRegistry().Text(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseText(strings.NewReader(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	want := map[string]float64{
		`bulletin_job_runs_total{job="publish",outcome="ok"}`:           2,
		`bulletin_job_runs_total{job="collect",outcome="error"}`:        1,
		`bulletin_job_running{job="odd \"name\"\\with\nnewline"}`:       1,
		`bulletin_job_duration_seconds_bucket{job="publish",le="0.1"}`:  1,
		`bulletin_job_duration_seconds_bucket{job="publish",le="1"}`:    3,
		`bulletin_job_duration_seconds_bucket{job="publish",le="10"}`:   3,
		`bulletin_job_duration_seconds_bucket{job="publish",le="+Inf"}`: 4,
		`bulletin_job_duration_seconds_sum{job="publish"}`:              21.05,
		`bulletin_job_duration_seconds_count{job="publish"}`:            4,
		`bulletin_articles`: 42,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || math.Abs(g-v) > 1e-9 {
			t.Errorf("%s = %v (present %v); want %v\n%s", k, g, ok, v, text)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d series; want %d\n%s", len(got), len(want), text)
	}
	if !strings.Contains(text, `# HELP bulletin_job_running 1 while a job runs.\nOne line \\ two.`) {
		t.Errorf("HELP text not escaped:\n%s", text)
	}
}

func TestParseTextRejects(t *testing.T) {
	for _, bad := range []string{
		"bulletin_x 1\n", // no TYPE
		"# TYPE a gauge\nb 1\n",
		"# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n",
		"# TYPE a gauge\na{x=\"\\t\"} 1\n",
		"# TYPE a gauge\na{x=\"1\",x=\"2\"} 1\n",
		"# TYPE a gauge\na{x=\"1\"}  1\n",
		"# TYPE a gauge\na one\n",
		"# TYPE a gauge\n# TYPE a gauge\n",
		"# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n",
		"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 3\n",
	} {
		if _, err := ParseText(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseText accepted %q", bad)
		}
	}
}

func TestGatherReportsBrokenCollectorsAndKeepsTheRest(t *testing.T) {
	r := testRegistry()
	r.Collect(func(context.Context) ([]Family, error) { return nil, errors.New("database is locked") })
	r.Collect(func(context.Context) ([]Family, error) {
		return []Family{{Name: "bulletin_job_running", Type: Gauge}, {Name: "bad name", Type: Gauge}}, nil
	})
	fams, err := r.Gather(context.Background())
	if err == nil || !strings.Contains(err.Error(), "database is locked") ||
		!strings.Contains(err.Error(), "collected twice") || !strings.Contains(err.Error(), "invalid metric name") {
		t.Errorf("Gather error %v; want all three problems", err)
	}
	if len(fams) != 4 {
		t.Errorf("Gather kept %d families; want the 4 good ones", len(fams))
	}
}

func TestHandlerPassesPromtool(t *testing.T) {
	promtool := testtool.Need(t, "promtool")[0]
	rec := httptest.NewRecorder()
	testRegistry().Handler(nil).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if ct := rec.Header().Get("Content-Type"); ct != ContentType {
		t.Errorf("Content-Type %q", ct)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(rec.Body.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s\n%s", err, out, rec.Body.String())
	}
}
