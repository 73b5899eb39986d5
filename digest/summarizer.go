package digest

import "context"

// Document is what a summarizer reads: one article's headline and plain text.
type Document struct {
	Title string
	Text  string
	// Earlier is the entry of an earlier issue whose story the article
	// continues, nil when none: a summarizer may say what is new since.
	Earlier *EarlierStory
}

// EarlierStory is how an earlier issue told a story.
type EarlierStory struct {
	Title   string
	Summary []string
	Issue   int // the issue's number
}

// storyAware is a Summarizer that makes use of Document.Earlier, so that
// SummarizeNew looks for the earlier entry of each article's story.
type storyAware interface {
	UsesEarlier() bool
}

// Summary is what a digest entry shows in place of the article.
type Summary struct {
	// Sentences are the summary, one sentence each, in reading order.
	Sentences []string
	// Teaser is a one-sentence line for lists and subject lines.
	Teaser string
	// Method names what wrote the summary ("extractive", "llm").
	Method string
	// Names are the names the article is about (see StoryNames), when the
	// summarizer found them on the way; nil: SummarizeNew finds them.
	Names []string
}

// A Summarizer turns a document into a summary.
type Summarizer interface {
	Summarize(ctx context.Context, doc Document) (Summary, error)
}
