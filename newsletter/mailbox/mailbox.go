// Package mailbox reads a mailbox over IMAP, message by message, and files
// each where its handler's verdict says, so that a message is never read
// twice and never lost: the bounce mailbox the newsletter's return paths
// lead to.
//
// A message is moved only after its handler has returned, and it is moved
// (MOVE, RFC 6851), or copied first and only then flagged \Deleted and
// expunged where the server lacks MOVE; never deleted otherwise. A stop
// between the handler and the move leaves the message where it was, to be
// read again next time: the handler must be idempotent (the newsletter
// records each report under its own id).
package mailbox

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/bulletin-app/bulletin/internal/shutdown"
)

// Options say which mailbox to read and where its messages go.
type Options struct {
	Host string
	Port int // 0: 993 with TLS "implicit", else 143
	// TLS is "implicit" (TLS from the first byte; the default),
	// "starttls", or "none" (for a server on this machine).
	TLS                string
	Username, Password string
	// Folder is read; ProcessedFolder receives what the handler acted
	// on, UnhandledFolder what it could not use. Both are created when
	// missing.
	Folder, ProcessedFolder, UnhandledFolder string
	// MaxMessages bounds one run; the rest wait for the next. 0: 500.
	MaxMessages int
	// MaxBytes is how much of a message is read; 0: 1 MiB.
	MaxBytes int64
	// Timeout bounds connecting; 0: 30s.
	Timeout time.Duration
	// TLSConfig, when set, replaces the default (the system's roots, the
	// host's name); tests trust their own CA with it.
	TLSConfig *tls.Config
	Logger    *slog.Logger
}

// Verdict is where a handled message goes.
type Verdict int

const (
	// Processed: acted on, or recorded before. To ProcessedFolder.
	Processed Verdict = iota
	// Unhandled: not something the handler can use. To UnhandledFolder,
	// for a person to look at.
	Unhandled
)

// Handler reads one message (at most MaxBytes of it). An error stops the
// run and leaves the message where it is.
type Handler func(ctx context.Context, raw []byte) (Verdict, error)

// Summary is what one run did.
type Summary struct {
	Read      int // messages handed to the handler
	Processed int
	Unhandled int
	Remaining int // left in the folder for the next run (MaxMessages, a stop)
}

func (s Summary) String() string {
	out := fmt.Sprintf("%d read: %d processed, %d unhandled", s.Read, s.Processed, s.Unhandled)
	if s.Remaining > 0 {
		out += fmt.Sprintf(", %d left for the next run", s.Remaining)
	}
	return out
}

// Process reads the messages of o.Folder, oldest first, hands each to
// handle and files it by its verdict.
func Process(ctx context.Context, o Options, handle Handler) (Summary, error) {
	var sum Summary
	if o.Folder == "" {
		o.Folder = "INBOX"
	}
	if o.ProcessedFolder == "" || o.UnhandledFolder == "" || o.ProcessedFolder == o.Folder || o.UnhandledFolder == o.Folder {
		return sum, errors.New("mailbox: the processed and unhandled folders must be set, and differ from the folder read")
	}
	if o.MaxMessages <= 0 {
		o.MaxMessages = 500
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 1 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c, err := dial(ctx, o)
	if err != nil {
		return sum, err
	}
	defer c.Close()
	// The client has timeouts of its own for each reply; a cancelled ctx
	// (the end of a stop's grace) closes the connection under it.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	for _, f := range []string{o.ProcessedFolder, o.UnhandledFolder} {
		if err := ensureFolder(c, f); err != nil {
			return sum, err
		}
	}
	if _, err := c.Select(o.Folder, nil).Wait(); err != nil {
		return sum, fmt.Errorf("mailbox: select %s: %w", o.Folder, err)
	}
	// Messages flagged \Deleted are on their way out: a copy of each is
	// in its folder already (a run stopped before expunging).
	found, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagDeleted}}, nil).Wait()
	if err != nil {
		return sum, fmt.Errorf("mailbox: search %s: %w", o.Folder, err)
	}
	uids := found.AllUIDs()
	slices.SortFunc(uids, func(a, b imap.UID) int { return cmp.Compare(a, b) })
	if len(uids) > o.MaxMessages {
		sum.Remaining = len(uids) - o.MaxMessages
		uids = uids[:o.MaxMessages]
	}
	move := moveFunc(c)
	for i, uid := range uids {
		if shutdown.Requested(ctx) {
			sum.Remaining += len(uids) - i
			if err := ctx.Err(); err != nil {
				return sum, err
			}
			return sum, shutdown.ErrStopped
		}
		raw, err := fetch(c, uid, o.MaxBytes)
		if err != nil {
			return sum, fmt.Errorf("mailbox: fetch message %d of %s: %w", uid, o.Folder, err)
		}
		if raw == nil {
			continue // expunged meanwhile, by another reader
		}
		sum.Read++
		verdict, err := handle(ctx, raw)
		if err == nil {
			err = ctx.Err() // cancelled meanwhile: the move could be cut short
		}
		if err != nil {
			sum.Remaining += len(uids) - i
			return sum, err
		}
		dest := o.ProcessedFolder
		if verdict == Unhandled {
			dest = o.UnhandledFolder
		}
		if err := move(uid, dest); err != nil {
			sum.Remaining += len(uids) - i
			return sum, fmt.Errorf("mailbox: move message %d to %s: %w", uid, dest, err)
		}
		if verdict == Unhandled {
			sum.Unhandled++
		} else {
			sum.Processed++
		}
	}
	if err := c.Logout().Wait(); err != nil {
		o.Logger.Debug("mailbox: logout", "err", err)
	}
	return sum, nil
}

func dial(ctx context.Context, o Options) (*imapclient.Client, error) {
	port := o.Port
	if port == 0 {
		port = 993
		if o.TLS == "starttls" || o.TLS == "none" {
			port = 143
		}
	}
	timeout := cmp.Or(o.Timeout, 30*time.Second)
	addr := net.JoinHostPort(o.Host, strconv.Itoa(port))
	tlsConfig := o.TLSConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: o.Host}
	}
	opts := &imapclient.Options{TLSConfig: tlsConfig, Dialer: &net.Dialer{Timeout: timeout}}
	var c *imapclient.Client
	var err error
	switch o.TLS {
	case "starttls":
		c, err = imapclient.DialStartTLS(addr, opts)
	case "none":
		c, err = imapclient.DialInsecure(addr, opts)
	case "", "implicit":
		c, err = imapclient.DialTLS(addr, opts)
	default:
		return nil, fmt.Errorf("mailbox: tls %q is not one of implicit, starttls, none", o.TLS)
	}
	if err != nil {
		return nil, fmt.Errorf("mailbox: connect to %s: %w", addr, err)
	}
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, fmt.Errorf("mailbox: %s: %w", addr, err)
	}
	// A server may greet already authenticated (PREAUTH: an IMAP process
	// run for one user).
	if c.State() == imap.ConnStateNotAuthenticated {
		if err := ctx.Err(); err != nil {
			c.Close()
			return nil, err
		}
		if err := c.Login(o.Username, o.Password).Wait(); err != nil {
			c.Close()
			return nil, fmt.Errorf("mailbox: log in to %s as %s: %w", addr, o.Username, err)
		}
	}
	return c, nil
}

// ensureFolder creates a folder unless it exists.
func ensureFolder(c *imapclient.Client, name string) error {
	list, err := c.List("", name, nil).Collect()
	if err != nil {
		return fmt.Errorf("mailbox: list %s: %w", name, err)
	}
	for _, l := range list {
		if l.Mailbox == name {
			return nil
		}
	}
	if err := c.Create(name, nil).Wait(); err != nil {
		return fmt.Errorf("mailbox: create %s: %w", name, err)
	}
	return nil
}

// fetch reads the first max bytes of a message, without setting \Seen;
// nil when the message is gone.
func fetch(c *imapclient.Client, uid imap.UID, max int64) ([]byte, error) {
	section := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: max}}
	msgs, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if m.UID != uid {
			continue
		}
		if b := m.FindBodySection(section); b != nil {
			return b, nil
		}
		if len(m.BodySection) > 0 { // a server that did not echo the <0>
			return m.BodySection[0].Bytes, nil
		}
	}
	return nil, nil
}

// moveFunc returns how messages are moved on this server: MOVE where it
// has it; else COPY, and only once the copy is made, STORE \Deleted and
// EXPUNGE (UID EXPUNGE of that message alone, with UIDPLUS). go-imap's
// own fallback sends all three at once, and a failed COPY would still
// delete the message.
func moveFunc(c *imapclient.Client) func(imap.UID, string) error {
	caps := c.Caps()
	if caps.Has(imap.CapMove) { // IMAP4rev2 has it
		return func(uid imap.UID, dest string) error {
			_, err := c.Move(imap.UIDSetNum(uid), dest).Wait()
			return err
		}
	}
	uidPlus := caps.Has(imap.CapUIDPlus)
	return func(uid imap.UID, dest string) error {
		set := imap.UIDSetNum(uid)
		if _, err := c.Copy(set, dest).Wait(); err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
			return fmt.Errorf("flag deleted: %w", err)
		}
		if uidPlus {
			return c.UIDExpunge(set).Close()
		}
		// Without UIDPLUS, EXPUNGE takes every message flagged \Deleted
		// in the folder: the mailbox is bulletin's own.
		return c.Expunge().Close()
	}
}
