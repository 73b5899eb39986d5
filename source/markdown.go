package source

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/yuin/goldmark"
	"go.yaml.in/yaml/v3"
)

// frontMatter is the YAML header a Markdown article may start with.
type frontMatter struct {
	Title  string    `yaml:"title"`
	URL    string    `yaml:"url"`
	Date   yaml.Node `yaml:"date"`
	Author string    `yaml:"author"`
	// Image is the article's picture: an absolute http(s) URL, with
	// image_alt (what it shows) and its size, when known.
	Image       string `yaml:"image"`
	ImageAlt    string `yaml:"image_alt"`
	ImageWidth  int    `yaml:"image_width"`
	ImageHeight int    `yaml:"image_height"`
}

// splitFrontMatter separates a leading "---" YAML block from the body. A file
// without one is all body.
func splitFrontMatter(src []byte) (header, body []byte, err error) {
	src = bytes.TrimPrefix(src, []byte("\uFEFF"))
	src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	if !bytes.HasPrefix(src, []byte("---\n")) {
		return nil, src, nil
	}
	rest := src[len("---\n"):]
	for off := 0; off <= len(rest); {
		line, _, found := bytes.Cut(rest[off:], []byte("\n"))
		if t := bytes.TrimRight(line, " \t"); string(t) == "---" || string(t) == "..." {
			end := off + len(line)
			if found {
				end++
			}
			return rest[:off], rest[end:], nil
		}
		if !found {
			break
		}
		off += len(line) + 1
	}
	return nil, nil, errors.New("front matter: no closing ---")
}

// parseMarkdown reads a Markdown file with optional YAML front matter
// (title, url, date, author). Without a title, a leading heading is used.
func parseMarkdown(src []byte) (Article, error) {
	header, body, err := splitFrontMatter(src)
	if err != nil {
		return Article{}, err
	}
	var fm frontMatter
	if len(bytes.TrimSpace(header)) > 0 {
		if err := yaml.Unmarshal(header, &fm); err != nil {
			return Article{}, fmt.Errorf("front matter: %w", err)
		}
	}
	a := Article{Title: normalizeText(fm.Title), URL: strings.TrimSpace(fm.URL), Author: normalizeText(fm.Author),
		Image: CleanImage(Image{URL: fm.Image, Alt: fm.ImageAlt, Width: fm.ImageWidth, Height: fm.ImageHeight})}
	if a.Published, err = frontMatterDate(&fm.Date); err != nil {
		return Article{}, err
	}
	var out bytes.Buffer
	if err := goldmark.Convert(body, &out); err != nil {
		return Article{}, fmt.Errorf("markdown: %w", err)
	}
	a.Text = htmlToText(&out)
	if a.Title == "" {
		a.Title, a.Text = headingTitle(body, a.Text)
	}
	return a, nil
}

// headingTitle takes the title from a Markdown body that starts with a
// heading, and drops it from the text so it is not said twice.
func headingTitle(body []byte, text string) (title, rest string) {
	first, _ := firstLine(string(body))
	if !strings.HasPrefix(first, "#") {
		return "", text
	}
	title, rest = firstLine(text)
	return title, strings.TrimLeft(rest, "\n")
}

// frontMatterDate accepts a YAML timestamp, RFC 3339 and YYYY-MM-DD. A time
// without a zone is taken as UTC, which is what YAML itself specifies.
func frontMatterDate(n *yaml.Node) (time.Time, error) {
	if n.Kind == 0 || n.Tag == "!!null" {
		return time.Time{}, nil
	}
	if n.Kind != yaml.ScalarNode {
		return time.Time{}, errors.New("front matter: date: not a single value")
	}
	if n.Tag == "!!timestamp" {
		var t time.Time
		if err := n.Decode(&t); err == nil {
			return t, nil
		}
	}
	v := strings.TrimSpace(n.Value)
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("front matter: date: cannot read %q (want RFC 3339 or YYYY-MM-DD)", truncateRunes(v, 40))
}
