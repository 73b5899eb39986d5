package digest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/bulletin-app/bulletin/internal/storetest"

	"github.com/bulletin-app/bulletin/store"
)

var _ LLMCache = (*store.Store)(nil)

// chatServer is an OpenAI-compatible chat-completions endpoint whose answer
// is decided per request by reply.
type chatServer struct {
	*httptest.Server
	calls    atomic.Int32
	inFlight atomic.Int32
	maxSeen  atomic.Int32
	mu       sync.Mutex
	requests []chatRequest
}

func newChatServer(t *testing.T, reply func(n int, w http.ResponseWriter, r *http.Request)) *chatServer {
	t.Helper()
	cs := &chatServer{}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(cs.calls.Add(1))
		cur := cs.inFlight.Add(1)
		defer cs.inFlight.Add(-1)
		for {
			m := cs.maxSeen.Load()
			if cur <= m || cs.maxSeen.CompareAndSwap(m, cur) {
				break
			}
		}
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
			http.Error(w, `{"error":{"message":"not found","type":"invalid_request_error"}}`, http.StatusNotFound)
			return
		}
		if r.Header.Get("Authorization") != "Bearer sk-test" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}`)
			return
		}
		var req chatRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		cs.mu.Lock()
		cs.requests = append(cs.requests, req)
		cs.mu.Unlock()
		reply(n, w, r)
	}))
	t.Cleanup(cs.Close)
	return cs
}

// completion writes a chat.completion object carrying content.
func completion(w http.ResponseWriter, content string) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"id":      "chatcmpl-1",
		"object":  "chat.completion",
		"created": 1700000000,
		"model":   "test-model",
		"choices": []any{map[string]any{
			"index":         0,
			"message":       map[string]any{"role": "assistant", "content": content},
			"finish_reason": "stop",
		}},
		"usage": map[string]int{"prompt_tokens": 100, "completion_tokens": 40, "total_tokens": 140},
	})
}

const goodReply = `{"summary": ["The council approved the new bridge on Monday.", "Work starts in May."], "teaser": "Council approves the bridge."}`

var llmDoc = Document{
	Title: "Council approves bridge",
	Text: "The city council approved plans for a new bridge over the river on Monday, ending a two-year debate.\n\n" +
		"Construction is expected to begin in May and to take three years, officials said.\n\n" +
		"Embrace: The mayor hugged the engineer after the vote\n\n" +
		"The bridge will carry cars, bicycles and a tram line, and will cost 40 million euros.",
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testOptions(url string) LLMOptions {
	return LLMOptions{
		BaseURL: url + "/v1", Model: "test-model", APIKey: "sk-test",
		Timeout: 2 * time.Second, Backoff: time.Millisecond, Logger: quietLogger(),
	}
}

// memCache is an in-memory LLMCache.
type memCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (c *memCache) CacheGet(_ context.Context, key string) ([]byte, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok, nil
}

func (c *memCache) CachePut(_ context.Context, key string, val []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string][]byte{}
	}
	c.m[key] = val
	return nil
}

func TestLLMSummarizesAndCaches(t *testing.T) {
	srv := newChatServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) { completion(w, goodReply) })
	st := storetest.Open(t)
	l := NewLLM(testOptions(srv.URL), NewExtractive(ExtractiveOptions{}), st)
	sum, err := l.Summarize(t.Context(), llmDoc)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Method != "llm" || len(sum.Sentences) != 2 || sum.Teaser != "Council approves the bridge." {
		t.Fatalf("summary = %+v", sum)
	}
	req := srv.requests[0]
	if req.Model != "test-model" || len(req.Messages) != 2 || req.Messages[0].Role != "system" || req.Messages[1].Role != "user" {
		t.Fatalf("request = %+v", req)
	}
	if !strings.Contains(req.Messages[1].Content, "40 million euros") || strings.Contains(req.Messages[1].Content, "Embrace:") {
		t.Errorf("prompt should carry the cleaned article without captions:\n%s", req.Messages[1].Content)
	}
	// A rerun is answered from the cache, also by a new summarizer.
	l2 := NewLLM(testOptions(srv.URL), NewExtractive(ExtractiveOptions{}), st)
	again, err := l2.Summarize(t.Context(), llmDoc)
	if err != nil || again.Method != "llm" || strings.Join(again.Sentences, "|") != strings.Join(sum.Sentences, "|") {
		t.Fatalf("cached summary = %+v, %v", again, err)
	}
	if n := srv.calls.Load(); n != 1 {
		t.Fatalf("server called %d times, want 1 (second from cache)", n)
	}
	// Another model or another prompt misses the cache.
	opts := testOptions(srv.URL)
	opts.Model = "other-model"
	NewLLM(opts, nil, st).Summarize(t.Context(), llmDoc)
	opts = testOptions(srv.URL)
	opts.Templates = fstest.MapFS{"summarize.tmpl": {Data: []byte(`{{define "system"}}Be brief.{{end}}{{define "user"}}{{.Text}}{{end}}`)}}
	NewLLM(opts, nil, st).Summarize(t.Context(), llmDoc)
	if n := srv.calls.Load(); n != 3 {
		t.Fatalf("server called %d times, want 3 (model and prompt changes miss the cache)", n)
	}
}

func TestLLMFallsBack(t *testing.T) {
	cases := []struct {
		name      string
		reply     func(n int, w http.ResponseWriter, r *http.Request)
		apiKey    string
		wantCalls int32
	}{
		{"server error after retries", func(_ int, w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"error":{"message":"The server had an error","type":"server_error"}}`)
		}, "", 3},
		{"bad key is not retried", nil, "sk-wrong", 1},
		{"content is not JSON", func(_ int, w http.ResponseWriter, _ *http.Request) {
			completion(w, "Sure! Here is a summary: the council approved a bridge.")
		}, "", 1},
		{"empty summary", func(_ int, w http.ResponseWriter, _ *http.Request) {
			completion(w, `{"summary": [], "teaser": ""}`)
		}, "", 1},
		{"body is not JSON", func(_ int, w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"choices": [{"message": {"content": "trunc`)
		}, "", 1},
		{"no choices", func(_ int, w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, `{"id":"x","object":"chat.completion","choices":[]}`)
		}, "", 1},
		{"slow answers time out", func(_ int, w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(3 * time.Second):
			case <-r.Context().Done():
			}
			completion(w, goodReply)
		}, "", 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reply := tc.reply
			if reply == nil {
				reply = func(_ int, w http.ResponseWriter, _ *http.Request) { completion(w, goodReply) }
			}
			srv := newChatServer(t, reply)
			opts := testOptions(srv.URL)
			opts.Timeout = 100 * time.Millisecond
			if tc.apiKey != "" {
				opts.APIKey = tc.apiKey
			}
			cache := &memCache{}
			l := NewLLM(opts, NewExtractive(ExtractiveOptions{}), cache)
			sum, err := l.Summarize(t.Context(), llmDoc)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Method != "extractive" || len(sum.Sentences) == 0 {
				t.Fatalf("summary = %+v, want the extractive fallback", sum)
			}
			if n := srv.calls.Load(); n != tc.wantCalls {
				t.Errorf("server called %d times, want %d", n, tc.wantCalls)
			}
			if len(cache.m) != 0 {
				t.Errorf("a failure was cached: %v", cache.m)
			}
			// Without a fallback the failure is reported.
			if _, err := NewLLM(opts, nil, nil).Summarize(t.Context(), llmDoc); err == nil {
				t.Error("no error without a fallback")
			}
		})
	}
}

func TestLLMRetriesTransientFailures(t *testing.T) {
	srv := newChatServer(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		switch n {
		case 1:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":{"message":"Rate limit reached","type":"requests"}}`)
		case 2:
			w.WriteHeader(http.StatusBadGateway)
		default:
			completion(w, "```json\n"+goodReply+"\n```")
		}
	})
	sum, err := NewLLM(testOptions(srv.URL), NewExtractive(ExtractiveOptions{}), nil).Summarize(t.Context(), llmDoc)
	if err != nil || sum.Method != "llm" {
		t.Fatalf("summary = %+v, %v; want the model's after two retries", sum, err)
	}
	if n := srv.calls.Load(); n != 3 {
		t.Fatalf("server called %d times, want 3", n)
	}
}

func TestLLMConcurrencyLimit(t *testing.T) {
	srv := newChatServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		time.Sleep(20 * time.Millisecond)
		completion(w, goodReply)
	})
	opts := testOptions(srv.URL)
	opts.Concurrency = 2
	l := NewLLM(opts, nil, nil)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			doc := llmDoc
			doc.Text += fmt.Sprintf("\n\nUpdate number %d was added to the story later.", i)
			if _, err := l.Summarize(t.Context(), doc); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if m := srv.maxSeen.Load(); m > 2 || m < 1 {
		t.Fatalf("%d requests in flight at once, limit is 2", m)
	}
	if n := srv.calls.Load(); n != 8 {
		t.Fatalf("server called %d times, want 8", n)
	}
}

func TestLLMBadPromptFallsBack(t *testing.T) {
	srv := newChatServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) { completion(w, goodReply) })
	opts := testOptions(srv.URL)
	opts.Templates = fstest.MapFS{"summarize.tmpl": {Data: []byte(`{{define "user"}}{{.Text}}{{end}}`)}}
	sum, err := NewLLM(opts, NewExtractive(ExtractiveOptions{}), nil).Summarize(t.Context(), llmDoc)
	if err != nil || sum.Method != "extractive" {
		t.Fatalf("summary = %+v, %v; want the fallback for a prompt without a system part", sum, err)
	}
	if srv.calls.Load() != 0 {
		t.Fatal("server called with a broken prompt")
	}
}
