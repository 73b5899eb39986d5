package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/storetest"

	"github.com/bulletin-app/bulletin/internal/metrics"
	"github.com/bulletin-app/bulletin/internal/testtool"
	"github.com/bulletin-app/bulletin/source"
	"github.com/bulletin-app/bulletin/store"
)

type opsEnv struct {
	st  *store.Store
	srv *httptest.Server
}

func newOpsEnv(t *testing.T) *opsEnv {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t)
	now := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	st.SetClock(func() time.Time { return now })

	for _, key := range []string{"a", "b"} {
		if _, err := st.SaveArticle(ctx, source.Article{Key: key, Title: key, Text: "text"}, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := st.AddSubscriber(ctx, "reader@example.com", "", store.StatusConfirmed); err != nil {
		t.Fatal(err)
	}
	issue, err := st.CreateIssue(ctx, func(int) string { return "One" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.PlanDeliveries(ctx, issue.Number, "example.com"); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordJobStart(ctx, "issue", now, "schedule"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2500 * time.Millisecond)
	if err := st.RecordJobEnd(ctx, "issue", nil, "sent 1"); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordJobStart(ctx, "collect", now, "schedule"); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordJobEnd(ctx, "collect", errors.New("2 sources failed"), ""); err != nil {
		t.Fatal(err)
	}
	// A source name from the config, with what the format must escape.
	if err := st.SaveSourceState(ctx, `Bob's "news"\feed`, source.State{LastFetch: now, Failures: 4,
		FirstFailure: now, FailingSince: now, LastError: "timeout"}); err != nil {
		t.Fatal(err)
	}

	reg := &metrics.Registry{}
	reg.Counter("bulletin_job_runs_total", "Job runs by outcome.", "job", "outcome").Inc("issue", "ok")
	mux := http.NewServeMux()
	MountOps(mux, st, reg, "", nil)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &opsEnv{st: st, srv: srv}
}

func (e *opsEnv) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestMetricsFromTheStore(t *testing.T) {
	e := newOpsEnv(t)
	resp, body := e.get(t, "/metrics")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != metrics.ContentType {
		t.Fatalf("GET /metrics: %s, %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	got, err := metrics.ParseText(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	issueOK := float64(time.Date(2026, 3, 2, 7, 0, 2, 500e6, time.UTC).UnixNano()) / 1e9
	for k, want := range map[string]float64{
		`bulletin_store_up`:                                        1,
		`bulletin_articles`:                                        2,
		`bulletin_issues`:                                          1,
		`bulletin_entries`:                                         0,
		`bulletin_deliveries{status="pending"}`:                    1,
		`bulletin_deliveries{status="sent"}`:                       0,
		`bulletin_deliveries{status="failed"}`:                     0,
		`bulletin_subscribers{status="confirmed"}`:                 1,
		`bulletin_job_last_success_timestamp_seconds{job="issue"}`: issueOK,
		`bulletin_job_last_duration_seconds{job="issue"}`:          2.5,
		`bulletin_job_last_run_ok{job="issue"}`:                    1,
		`bulletin_job_last_run_ok{job="collect"}`:                  0,
		`bulletin_source_failing{source="Bob's \"news\"\\feed"}`:   1,
		`bulletin_job_runs_total{job="issue",outcome="ok"}`:        1,
	} {
		if v, ok := got[k]; !ok || v != want {
			t.Errorf("%s = %v (present %v); want %v", k, v, ok, want)
		}
	}
	if _, ok := got[`bulletin_job_last_success_timestamp_seconds{job="collect"}`]; ok {
		t.Error("a job that never succeeded has a last success time")
	}

	if _, err := exec.LookPath("promtool"); err != nil && !testtool.Strict() {
		t.Log("promtool not installed (Debian package prometheus): checked with the strict parser only")
		return
	}
	cmd := exec.Command(testtool.Need(t, "promtool")[0], "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s\n%s", err, out, body)
	}
}

func TestHealthz(t *testing.T) {
	e := newOpsEnv(t)
	resp, body := e.get(t, "/healthz")
	var got map[string]string
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &got) != nil || got["status"] != "ok" {
		t.Fatalf("GET /healthz: %s %q", resp.Status, body)
	}
	if resp, _ := http.Post(e.srv.URL+"/healthz", "text/plain", nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz: %s", resp.Status)
	}

	e.st.Close() // the database goes away
	resp, body = e.get(t, "/healthz")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"status":"error"`) {
		t.Errorf("GET /healthz with the store closed: %s %q", resp.Status, body)
	}
	if strings.Contains(body, ".db") || strings.Contains(body, "closed") {
		t.Errorf("GET /healthz tells the database's error to anyone: %q", body)
	}
	resp, body = e.get(t, "/metrics")
	got2, err := metrics.ParseText(strings.NewReader(body))
	if resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("GET /metrics with the store closed: %s, %v", resp.Status, err)
	}
	if got2["bulletin_store_up"] != 0 || got2[`bulletin_job_runs_total{job="issue",outcome="ok"}`] != 1 {
		t.Errorf("with the store closed, /metrics says %v; want store_up 0 and the in-memory counters", got2)
	}
	if _, ok := got2["bulletin_articles"]; ok {
		t.Error("with the store closed, bulletin_articles is still reported")
	}
}
