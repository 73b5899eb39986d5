package newsletter

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// outboxConn writes each message to its own .eml file in a folder.
type outboxConn struct {
	dir   string
	name  func(rcpt string) string
	write func(io.Writer, *outgoing) error
}

func (o *outboxConn) deliver(_ context.Context, msg *outgoing, rcpt string, h handover) error {
	committing := false
	defer h.begin(&committing)()
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return &sendError{err: fmt.Errorf("outbox: %w", err)}
	}
	final := filepath.Join(o.dir, o.name(rcpt))
	f, err := os.CreateTemp(o.dir, ".tmp-*.eml")
	if err != nil {
		return &sendError{err: fmt.Errorf("outbox: %w", err)}
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	err = o.write(f, msg)
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		f.Close()
		return &sendError{err: fmt.Errorf("outbox %s: %w", final, err)}
	}
	if err := f.Close(); err != nil {
		return &sendError{err: fmt.Errorf("outbox %s: %w", final, err)}
	}
	committing = true
	if err := h.commit(); err != nil {
		return errCommit{err}
	}
	// The rename is atomic: a reader sees a whole message or none.
	if err := os.Rename(tmp, final); err != nil {
		return &sendError{err: fmt.Errorf("outbox %s: %w", final, err)}
	}
	return nil
}

func (o *outboxConn) close() {}

// outboxName is the file of an issue's message to a subscriber: the same
// every run, so a message written twice replaces itself.
func outboxName(issue int, subscriberID int64) string {
	return fmt.Sprintf("issue-%04d-%d.eml", issue, subscriberID)
}

// safeFileText keeps what may go in a file name.
func safeFileText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '@' || r == '.' || r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
}
