package digest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/bulletin-app/bulletin/templates"
)

// LLMCache keeps model replies across runs. *store.Store implements it.
type LLMCache interface {
	CacheGet(ctx context.Context, key string) ([]byte, bool, error)
	CachePut(ctx context.Context, key string, val []byte) error
}

// LLMOptions configure the LLM summarizer.
type LLMOptions struct {
	// BaseURL is the OpenAI-compatible API root, e.g.
	// "https://api.openai.com/v1"; requests go to BaseURL+"/chat/completions".
	BaseURL string
	// Model names the model to ask.
	Model string
	// APIKey is sent as a bearer token; empty sends none (local servers).
	// The caller reads it from the environment.
	APIKey string
	// Timeout bounds each request; 0 means 60s.
	Timeout time.Duration
	// Concurrency caps requests in flight; 0 means 4.
	Concurrency int
	// Retries is how many times a failed request (network error, 429, 5xx)
	// is tried again, with exponential backoff; 0 means 2, negative none.
	Retries int
	// Backoff is the first wait between tries; 0 means 1s. It doubles each
	// time, with jitter; a Retry-After header takes precedence.
	Backoff time.Duration
	// PromptTemplate is the parsed prompt, defining "system" and "user"
	// templates; nil parses summarize.tmpl from Templates.
	PromptTemplate *template.Template
	// Templates is where summarize.tmpl is read from; nil means the embedded
	// defaults (templates.FS).
	Templates fs.FS
	// Words and MaxSentences are passed to the prompt; 0 means 60 and 3.
	Words, MaxSentences int
	// Client sends the requests; nil means http.DefaultClient.
	Client *http.Client
	// Logger receives fallbacks and retries; nil means slog.Default().
	Logger *slog.Logger
}

// LLM summarizes with a chat-completions model and falls back to another
// summarizer when the model cannot be reached or its reply is unusable.
// Replies are cached by article content, model and prompt.
type LLM struct {
	opts     LLMOptions
	fallback Summarizer
	cache    LLMCache
	prompt   *template.Template
	sem      chan struct{}
	err      error // a configuration error: every call falls back
}

// maxPromptBytes bounds the article text sent to the model.
const maxPromptBytes = 24000

// NewLLM returns an LLM summarizer. fallback is used on any failure (it may
// be nil, and then failures are returned); cache may be nil. A prompt that
// does not parse makes every call fall back, and the reason is logged.
func NewLLM(opts LLMOptions, fallback Summarizer, cache LLMCache) *LLM {
	if opts.Timeout <= 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.Retries == 0 {
		opts.Retries = 2
	}
	if opts.Retries < 0 {
		opts.Retries = 0
	}
	if opts.Backoff <= 0 {
		opts.Backoff = time.Second
	}
	if opts.Words <= 0 {
		opts.Words = defaultWords
	}
	if opts.MaxSentences <= 0 {
		opts.MaxSentences = defaultSentences
	}
	if opts.Client == nil {
		opts.Client = http.DefaultClient
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	l := &LLM{opts: opts, fallback: fallback, cache: cache, sem: make(chan struct{}, opts.Concurrency)}
	l.prompt = opts.PromptTemplate
	if l.prompt == nil {
		fsys := opts.Templates
		if fsys == nil {
			fsys = templates.FS
		}
		l.prompt, l.err = template.ParseFS(fsys, "summarize.tmpl")
	}
	if l.err == nil {
		for _, name := range []string{"system", "user"} {
			if l.prompt.Lookup(name) == nil {
				l.err = fmt.Errorf("prompt template defines no %q", name)
			}
		}
	}
	if l.err != nil {
		l.err = fmt.Errorf("llm summarizer: %w", l.err)
		opts.Logger.Error("llm summarizer disabled", "err", l.err)
	}
	return l
}

// Summarize implements Summarizer. Its Method is "llm" when the model wrote
// the summary, else the fallback's.
func (l *LLM) Summarize(ctx context.Context, doc Document) (Summary, error) {
	sum, err := l.summarize(ctx, doc)
	if err == nil {
		return sum, nil
	}
	if l.fallback == nil {
		return Summary{}, err
	}
	if ctx.Err() == nil {
		l.opts.Logger.Warn("llm summary failed; using fallback", "title", doc.Title, "err", err)
	}
	return l.fallback.Summarize(ctx, doc)
}

// UsesEarlier says that the prompt is given the earlier entry of the
// article's story (Document.Earlier), when there is one.
func (l *LLM) UsesEarlier() bool { return l.err == nil }

// promptData is what the prompt template sees.
type promptData struct {
	Title, Text      string
	Words, Sentences int
	Earlier          *EarlierStory
}

// llmReply is the JSON the prompt asks for, also the cached value.
type llmReply struct {
	Summary []string `json:"summary"`
	Teaser  string   `json:"teaser"`
}

func (l *LLM) summarize(ctx context.Context, doc Document) (Summary, error) {
	if l.err != nil {
		return Summary{}, l.err
	}
	system, user, err := l.render(doc)
	if err != nil {
		return Summary{}, err
	}
	key := l.cacheKey(doc, system, user)
	if l.cache != nil {
		if v, ok, err := l.cache.CacheGet(ctx, key); err != nil {
			l.opts.Logger.Warn("llm cache read failed", "err", err)
		} else if ok {
			if r, err := parseReply(string(v), l.opts.MaxSentences); err == nil {
				return r, nil
			}
		}
	}
	content, err := l.complete(ctx, system, user)
	if err != nil {
		return Summary{}, err
	}
	sum, err := parseReply(content, l.opts.MaxSentences)
	if err != nil {
		return Summary{}, err
	}
	if l.cache != nil {
		v, _ := json.Marshal(llmReply{Summary: sum.Sentences, Teaser: sum.Teaser})
		if err := l.cache.CachePut(ctx, key, v); err != nil {
			l.opts.Logger.Warn("llm cache write failed", "err", err)
		}
	}
	return sum, nil
}

// render executes the prompt with the cleaned article (captions and page
// furniture removed; the model need not read them).
func (l *LLM) render(doc Document) (system, user string, err error) {
	c := clean(doc.Title, doc.Text)
	var b strings.Builder
	for i, s := range c.sentences {
		if i > 0 {
			if s.para != c.sentences[i-1].para {
				b.WriteString("\n\n")
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(s.text)
		if b.Len() > maxPromptBytes {
			break
		}
	}
	text := b.String()
	if strings.TrimSpace(text) == "" {
		return "", "", errors.New("llm summary: article has no text")
	}
	data := promptData{Title: doc.Title, Text: text, Words: l.opts.Words, Sentences: l.opts.MaxSentences, Earlier: doc.Earlier}
	var sb, ub strings.Builder
	if err := l.prompt.ExecuteTemplate(&sb, "system", data); err != nil {
		return "", "", fmt.Errorf("llm prompt: %w", err)
	}
	if err := l.prompt.ExecuteTemplate(&ub, "user", data); err != nil {
		return "", "", fmt.Errorf("llm prompt: %w", err)
	}
	return strings.TrimSpace(sb.String()), strings.TrimSpace(ub.String()), nil
}

// cacheKey names a reply by the article's content hash and by the model and
// the rendered prompt, so that a new model or prompt asks again.
func (l *LLM) cacheKey(doc Document, system, user string) string {
	content := sha256.Sum256([]byte(doc.Title + "\x00" + doc.Text))
	h := sha256.New()
	for _, s := range []string{l.opts.BaseURL, l.opts.Model, system, user} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "llm-summary:" + hex.EncodeToString(content[:]) + ":" + hex.EncodeToString(h.Sum(nil))
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatRequest struct {
	Model       string        `json:"model"`
	Messages    []chatMessage `json:"messages"`
	Temperature float64       `json:"temperature"`
}

type chatResponse struct {
	Choices []struct {
		Message      chatMessage `json:"message"`
		FinishReason string      `json:"finish_reason"`
	} `json:"choices"`
	Error *struct {
		Message string `json:"message"`
		Type    string `json:"type"`
	} `json:"error"`
}

// errPermanent marks a failure that another try would not fix.
type errPermanent struct{ error }

func (e errPermanent) Unwrap() error { return e.error }

// complete asks the model, retrying transient failures with backoff.
func (l *LLM) complete(ctx context.Context, system, user string) (string, error) {
	body, err := json.Marshal(chatRequest{
		Model:    l.opts.Model,
		Messages: []chatMessage{{Role: "system", Content: system}, {Role: "user", Content: user}},
	})
	if err != nil {
		return "", err
	}
	var lastErr error
	for attempt := 0; ; attempt++ {
		content, wait, err := l.try(ctx, body)
		if err == nil {
			return content, nil
		}
		lastErr = err
		var perm errPermanent
		if errors.As(err, &perm) || attempt >= l.opts.Retries || ctx.Err() != nil {
			break
		}
		if wait <= 0 {
			wait = l.opts.Backoff << attempt
			wait += time.Duration(rand.Int64N(int64(wait)/4 + 1))
		}
		l.opts.Logger.Info("llm request failed; retrying", "attempt", attempt+1, "wait", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", ctx.Err()
		case <-t.C:
		}
	}
	return "", fmt.Errorf("llm request to %s: %w", l.opts.BaseURL, lastErr)
}

// try sends one request under the concurrency limit; wait is the server's
// Retry-After, if any.
func (l *LLM) try(ctx context.Context, body []byte) (content string, wait time.Duration, err error) {
	select {
	case l.sem <- struct{}{}:
		defer func() { <-l.sem }()
	case <-ctx.Done():
		return "", 0, ctx.Err()
	}
	ctx, cancel := context.WithTimeout(ctx, l.opts.Timeout)
	defer cancel()
	url := strings.TrimRight(l.opts.BaseURL, "/") + "/chat/completions"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "", 0, errPermanent{err}
	}
	req.Header.Set("Content-Type", "application/json")
	if l.opts.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+l.opts.APIKey)
	}
	resp, err := l.opts.Client.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return "", 0, err
	}
	var cr chatResponse
	jsonErr := json.Unmarshal(raw, &cr)
	if resp.StatusCode != http.StatusOK {
		msg := strings.TrimSpace(string(raw))
		if jsonErr == nil && cr.Error != nil {
			msg = cr.Error.Message
		}
		err := fmt.Errorf("status %d: %.200s", resp.StatusCode, msg)
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			return "", retryAfter(resp.Header.Get("Retry-After")), err
		}
		return "", 0, errPermanent{err}
	}
	if jsonErr != nil {
		return "", 0, errPermanent{fmt.Errorf("malformed response: %w", jsonErr)}
	}
	if len(cr.Choices) == 0 {
		return "", 0, errPermanent{errors.New("response has no choices")}
	}
	return cr.Choices[0].Message.Content, 0, nil
}

// retryAfter reads a Retry-After header in seconds, capped at a minute.
func retryAfter(h string) time.Duration {
	secs, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || secs < 0 {
		return 0
	}
	return min(time.Duration(secs)*time.Second, time.Minute)
}

// parseReply reads the model's JSON answer, tolerating a Markdown code fence
// around it, and checks that it is a usable summary.
func parseReply(content string, maxSentences int) (Summary, error) {
	s := strings.TrimSpace(content)
	if i := strings.Index(s, "{"); i >= 0 {
		if j := strings.LastIndex(s, "}"); j > i {
			s = s[i : j+1]
		}
	}
	var r llmReply
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return Summary{}, fmt.Errorf("model reply is not the JSON asked for: %w", err)
	}
	out := Summary{Method: "llm"}
	for _, x := range r.Summary {
		if x = strings.Join(strings.Fields(x), " "); x != "" {
			out.Sentences = append(out.Sentences, x)
		}
	}
	if len(out.Sentences) == 0 {
		return Summary{}, errors.New("model reply has an empty summary")
	}
	if len(out.Sentences) > maxSentences {
		out.Sentences = out.Sentences[:maxSentences]
	}
	out.Teaser = strings.Join(strings.Fields(r.Teaser), " ")
	if out.Teaser == "" {
		out.Teaser = out.Sentences[0]
	}
	return out, nil
}
