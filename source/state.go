package source

import (
	"errors"
	"fmt"
	"time"
)

// State is what a feed source remembers between fetches. The caller keeps
// it (the store persists it) and passes it to UpstreamFeed.Fetch, which
// returns the next one; source itself keeps nothing.
//
// A zero State means a source never fetched: FirstRun reports it, and stays
// true until a fetch succeeds, so a caller that seeds a new source without
// mailing its back catalogue should ask FirstRun of the state it passes in.
type State struct {
	// ETag and LastModified are the validators of the last feed body
	// read, sent back as If-None-Match and If-Modified-Since.
	ETag         string
	LastModified string
	// LastFetch is the last attempt, LastSuccess the last one that worked
	// (a 304 counts).
	LastFetch   time.Time
	LastSuccess time.Time
	// Failures counts consecutive failed attempts; FirstFailure is when
	// the current run of failures started.
	Failures     int
	FirstFailure time.Time
	// FailingSince is set once the current failure has persisted past the
	// feed's thresholds (UpstreamFeed.ReportAfter and FailingAfter), and
	// cleared by the next success. Only then should anyone be told.
	FailingSince time.Time
	// NextAttempt is the earliest time of the next try, after a failure.
	NextAttempt time.Time
	// LastError is the message of the last failure, "" after a success.
	LastError string
	// CutMark is the key of the newest item fetch.max_items left out
	// that was never collected, when that was last reported: the same
	// cut is not reported again at the next fetch.
	CutMark string
}

// FirstRun reports whether no fetch has succeeded yet.
func (s State) FirstRun() bool { return s.LastSuccess.IsZero() }

// Failing reports whether the source has been failing long enough to tell
// someone about it.
func (s State) Failing() bool { return !s.FailingSince.IsZero() }

// ErrBackoff is returned by Fetch when the state says to wait: the source
// failed recently and its NextAttempt has not come. It is routine, not a
// failure, and changes nothing in the state.
var ErrBackoff = errors.New("backing off after failures")

// backoffError says until when.
type backoffError struct{ until time.Time }

func (e backoffError) Error() string {
	return fmt.Sprintf("%v until %s", ErrBackoff, e.until.Format(time.RFC3339))
}

func (e backoffError) Is(target error) bool { return target == ErrBackoff }

// succeeded records a fetch that worked. Validators are replaced only when
// the server sent a new body (not on 304).
func (s State) succeeded(now time.Time) State {
	s.LastFetch, s.LastSuccess = now, now
	s.Failures, s.FirstFailure, s.FailingSince = 0, time.Time{}, time.Time{}
	s.NextAttempt, s.LastError = time.Time{}, ""
	return s
}

// failurePolicy is the part of an UpstreamFeed that decides backoff and
// reporting.
type failurePolicy struct {
	backoff, maxBackoff time.Duration
	reportAfter         int
	failingAfter        time.Duration
}

// failed records a failed attempt: validators and everything learnt before
// are kept, the next attempt is pushed back exponentially (or to the
// server's Retry-After, if later), and the failure becomes reportable once it
// has happened reportAfter times in a row or lasted failingAfter.
func (s State) failed(now time.Time, err error, retryAfter time.Time, p failurePolicy) State {
	s.LastFetch = now
	s.Failures++
	if s.FirstFailure.IsZero() {
		s.FirstFailure = now
	}
	s.LastError = err.Error()

	wait := p.backoff
	for i := 1; i < s.Failures && wait < p.maxBackoff; i++ {
		wait *= 2
	}
	wait = min(wait, p.maxBackoff)
	s.NextAttempt = now.Add(wait)
	if retryAfter.After(s.NextAttempt) {
		s.NextAttempt = earlier(retryAfter, now.Add(p.maxBackoff))
	}

	if s.FailingSince.IsZero() && (s.Failures >= p.reportAfter || now.Sub(s.FirstFailure) >= p.failingAfter) {
		s.FailingSince = now
	}
	return s
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
