// Package source collects articles from local folders and upstream feeds:
// a Folder of files, or an UpstreamFeed, an RSS, Atom or JSON feed that
// bulletin reads. The feeds bulletin writes and serves are package feed's.
//
// A source turns what it reads into Articles; it knows nothing of how they are
// stored or summarized. Each Article carries a stable Key so that collecting the
// same story twice stores it once.
package source

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Article is one collected story, in plain text.
type Article struct {
	// Key identifies the article across runs: its canonical URL when it has
	// one, else "sha256:" and the hash of its title and text.
	Key string
	// URL links to the original, if known.
	URL string
	// Title is the headline, as plain text.
	Title string
	// Author names the writer, if known.
	Author string
	// Published is when the article was published; zero when unknown.
	Published time.Time
	// Text is the readable body as plain text, paragraphs separated by a
	// blank line.
	Text string
	// Source names where the article came from (the configured source name).
	Source string
	// Origin says where exactly it was read: a file path or a feed URL.
	Origin string
	// Image is the article's picture, as its feed or page names it; its
	// URL is "" when there is none.
	Image Image
}

// Image is a picture an article names (a feed's media or enclosure, a
// page's og:image): a link that bulletin never fetches, with its size and
// alternative text when the source tells them (0 and "" when not).
type Image struct {
	URL           string // http or https only (see CleanImage)
	Width, Height int
	Alt           string
}

// ContentHash returns a digest of what a reader sees (title and text), so a
// stored article can tell whether it changed.
func (a Article) ContentHash() string {
	h := sha256.New()
	h.Write([]byte(a.Title))
	h.Write([]byte{0})
	h.Write([]byte(a.Text))
	return hex.EncodeToString(h.Sum(nil))
}
