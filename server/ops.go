package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/bulletin-app/bulletin/internal/metrics"
	"github.com/bulletin-app/bulletin/store"
)

// MountOps routes GET /healthz and GET /metrics, for a listener that only
// operators reach (server.metrics_addr). The counts in /metrics are read
// from st at each scrape, since the database, not this process, knows them
// (another process may have collected or sent meanwhile); reg brings what
// lives in memory, such as the scheduler's run durations. With a token,
// /metrics answers only requests that carry it (see RequireToken). Call it
// once per registry.
func MountOps(mux *http.ServeMux, st *store.Store, reg *metrics.Registry, token string, log *slog.Logger) {
	MountMetrics(mux, st, reg, token, log)
	MountHealth(mux, st, log)
}

// MountMetrics routes GET /metrics alone: on the public listener, where it
// needs a token, or on the operators' one. Call it once per registry.
func MountMetrics(mux *http.ServeMux, st *store.Store, reg *metrics.Registry, token string, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg.Collect(StoreMetrics(st))
	var h http.Handler = reg.Handler(log)
	if token != "" {
		h = RequireToken(h, token)
	}
	mux.Handle("GET /metrics", h)
}

// MountHealth routes GET /healthz, which says whether the store answers
// and nothing else: it is safe on the public listener.
func MountHealth(mux *http.ServeMux, st *store.Store, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		body := map[string]string{"status": "ok", "store": "ok"}
		code := http.StatusOK
		if err := st.Ping(ctx); err != nil {
			// The detail (a file path, say) goes to the log, not to anyone
			// who asks.
			log.Warn("health check failed", "error", err)
			body["status"], body["store"] = "error", "unavailable"
			code = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(body)
	})
}

// RequireToken answers 401 to requests to h that do not carry
// "Authorization: Bearer TOKEN", as Prometheus sends it with
// authorization.credentials (or bearer_token) in its scrape config. The
// comparison takes the same time however much of the token is right.
func RequireToken(h http.Handler, token string) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="bulletin metrics"`)
			http.Error(w, "a bearer token is needed", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// StoreMetrics reads bulletin's figures from the store for a scrape. When
// the store does not answer, bulletin_store_up is 0 and the rest is left
// out rather than reported as zero.
func StoreMetrics(st *store.Store) metrics.Collector {
	return func(ctx context.Context) ([]metrics.Family, error) {
		up := metrics.Family{Name: "bulletin_store_up", Help: "1 when the database answered this scrape.",
			Type: metrics.Gauge, Samples: []metrics.Sample{{Value: 0}}}
		fams, err := storeFamilies(ctx, st)
		if err != nil {
			return []metrics.Family{up}, err
		}
		up.Samples[0].Value = 1
		return append(fams, up), nil
	}
}

func storeFamilies(ctx context.Context, st *store.Store) ([]metrics.Family, error) {
	tot, err := st.Totals(ctx)
	if err != nil {
		return nil, err
	}
	subs, err := st.CountSubscribers(ctx)
	if err != nil {
		return nil, err
	}
	runs, err := st.JobRuns(ctx)
	if err != nil {
		return nil, err
	}
	sources, err := st.ListSourceStates(ctx)
	if err != nil {
		return nil, err
	}

	single := func(name, help string, v int) metrics.Family {
		return metrics.Family{Name: name, Help: help, Type: metrics.Gauge, Samples: []metrics.Sample{{Value: float64(v)}}}
	}
	fams := []metrics.Family{
		single("bulletin_articles", "Articles collected and stored.", tot.Articles),
		single("bulletin_entries", "Digest entries written.", tot.Entries),
		single("bulletin_issues", "Issues built.", tot.Issues),
	}
	deliveries := metrics.Family{Name: "bulletin_deliveries", Type: metrics.Gauge,
		Help: "Emails in the delivery ledger, over every issue, by status (sent, failed, pending, sending)."}
	for _, s := range []store.DeliveryStatus{store.DeliverySent, store.DeliveryFailed, store.DeliveryPending, store.DeliverySending} {
		deliveries.Samples = append(deliveries.Samples, sample(float64(tot.Deliveries[s]), "status", string(s)))
	}
	subscribers := metrics.Family{Name: "bulletin_subscribers", Help: "Subscribers by status.", Type: metrics.Gauge}
	for _, s := range store.SubscriberStatuses {
		subscribers.Samples = append(subscribers.Samples, sample(float64(subs[s]), "status", string(s)))
	}
	fams = append(fams, deliveries, subscribers)

	lastSuccess := metrics.Family{Name: "bulletin_job_last_success_timestamp_seconds", Type: metrics.Gauge,
		Help: "When each job last finished without error, in Unix time."}
	lastDuration := metrics.Family{Name: "bulletin_job_last_duration_seconds", Type: metrics.Gauge,
		Help: "How long each job's latest finished run took."}
	lastOK := metrics.Family{Name: "bulletin_job_last_run_ok", Type: metrics.Gauge,
		Help: "1 if each job's latest finished run succeeded, 0 if it failed."}
	for _, r := range runs {
		if !r.LastSuccess.IsZero() {
			lastSuccess.Samples = append(lastSuccess.Samples, sample(unix(r.LastSuccess), "job", r.Job))
		}
		if !r.Finished.IsZero() {
			lastDuration.Samples = append(lastDuration.Samples, sample(r.Duration.Seconds(), "job", r.Job))
			lastOK.Samples = append(lastOK.Samples, sample(boolValue(r.OK), "job", r.Job))
		}
	}

	failing := metrics.Family{Name: "bulletin_source_failing", Type: metrics.Gauge,
		Help: "1 while a source has failed for longer than its reporting thresholds."}
	srcSuccess := metrics.Family{Name: "bulletin_source_last_success_timestamp_seconds", Type: metrics.Gauge,
		Help: "When each source was last fetched without error, in Unix time."}
	for _, s := range sources {
		failing.Samples = append(failing.Samples, sample(boolValue(!s.FailingSince.IsZero()), "source", s.Name))
		if !s.LastSuccess.IsZero() {
			srcSuccess.Samples = append(srcSuccess.Samples, sample(unix(s.LastSuccess), "source", s.Name))
		}
	}
	return append(fams, lastSuccess, lastDuration, lastOK, failing, srcSuccess), nil
}

func sample(v float64, label, value string) metrics.Sample {
	return metrics.Sample{Labels: []metrics.Label{{Name: label, Value: value}}, Value: v}
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
