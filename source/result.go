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
}

func (r *Result) problem(origin string, err error) {
	r.Problems = append(r.Problems, Problem{Origin: origin, Err: err})
}
