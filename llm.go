package bulletin

import (
	"github.com/bulletin-app/bulletin/digest"
)

// newLLMSummarizer asks the configured OpenAI-compatible endpoint for
// summaries, caching replies in the store, and falls back to the extractive
// summary on any failure.
func newLLMSummarizer(a *App, fallback digest.Summarizer) digest.Summarizer {
	l := a.Config.Digest.LLM
	return digest.NewLLM(digest.LLMOptions{
		BaseURL:      l.BaseURL,
		Model:        l.Model,
		APIKey:       l.APIKey,
		Timeout:      l.Timeout,
		Concurrency:  l.Concurrency,
		Retries:      retriesOption(l.Retries),
		Templates:    a.Templates,
		Words:        a.Config.Digest.Words,
		MaxSentences: a.Config.Digest.MaxSentences,
		Logger:       a.Log,
	}, fallback, a.Store)
}
