package source

import "fmt"

// Problem is one file or feed item that was skipped, or collected only in
// part, while the rest went on.
type Problem struct {
	// Origin is the file path or URL concerned.
	Origin string
	Err    error
}

func (p Problem) Error() string { return fmt.Sprintf("%s: %v", p.Origin, p.Err) }

func (p Problem) Unwrap() error { return p.Err }

// Result is what one collection produced: the articles read, and the
// problems met on the way.
type Result struct {
	Articles []Article
	Problems []Problem
	// Unchanged counts the files of a folder left unread, or unparsed,
	// because their stamps say they are as they were (Folder.Seen).
	Unchanged int
	// Files are the stamps of the folder's files read this time, the
	// unchanged ones and those of Articles, for the next collect's
	// Folder.Seen.
	Files []FileStamp
}

func (r *Result) problem(origin string, err error) {
	r.Problems = append(r.Problems, Problem{Origin: origin, Err: err})
}
