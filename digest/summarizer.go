package digest

import "context"

// Document is what a summarizer reads: one article's headline and plain text.
type Document struct {
	Title string
	Text  string
}

// Summary is what a digest entry shows in place of the article.
type Summary struct {
	// Sentences are the summary, one sentence each, in reading order.
	Sentences []string
	// Teaser is a one-sentence line for lists and subject lines.
	Teaser string
	// Method names what wrote the summary ("extractive", "llm").
	Method string
}

// A Summarizer turns a document into a summary.
type Summarizer interface {
	Summarize(ctx context.Context, doc Document) (Summary, error)
}
