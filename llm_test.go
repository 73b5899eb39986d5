package bulletin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TestLLMSummarizerFromConfig runs the pipeline with summarizer: llm against
// an endpoint that speaks the chat-completions JSON, then against one that
// fails: the entries say which summarizer wrote them.
func TestLLMSummarizerFromConfig(t *testing.T) {
	var calls atomic.Int32
	var fail atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer sk-from-env" {
			http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
			return
		}
		if fail.Load() {
			http.Error(w, `{"error":{"message":"overloaded"}}`, http.StatusServiceUnavailable)
			return
		}
		reply, _ := json.Marshal(map[string]any{"summary": []string{"First point of the story.", "Second point of the story."}, "teaser": "The story in a line."})
		json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion", "model": "m",
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": string(reply)}}},
		})
	}))
	defer srv.Close()
	t.Setenv("BULLETIN_LLM_API_KEY", "sk-from-env")
	llm := "digest:\n  summarizer: llm\n  llm:\n    base_url: " + srv.URL + "/v1\n    model: m\n    retries: 0\n"

	app, _ := newTestApp(t, "examples/articles", llm)
	rep, err := app.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rep.Issue.Entries {
		if e.Method != "llm" || len(e.Summary) != 2 || e.Teaser != "The story in a line." {
			t.Errorf("%q: method %q, summary %q, teaser %q", e.Title, e.Method, e.Summary, e.Teaser)
		}
	}

	fail.Store(true)
	app2, _ := newTestApp(t, "examples/articles", llm)
	rep, err = app2.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rep.Issue.Entries {
		if e.Method != "extractive" || len(e.Summary) == 0 {
			t.Errorf("with the endpoint failing, %q: method %q, %d sentences; want the extractive fallback", e.Title, e.Method, len(e.Summary))
		}
	}
}
