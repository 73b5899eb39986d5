package schedule

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/clocktest"
	"github.com/bulletin-app/bulletin/internal/storetest"
)

// replyCutter stands between the store and PostgreSQL on loopback and,
// once armed, loses the reply to the next UPDATE: it holds back the
// statement's CommandComplete, waits for the ReadyForQuery that follows
// the commit, and then drops the connection, as a network that fails at
// that moment does. The update is written; the store is told only that
// the connection broke.
type replyCutter struct {
	ln     net.Listener
	target string
	armed  atomic.Bool
	mu     sync.Mutex
	cut    []string // the tags of the replies lost
}

func newReplyCutter(t *testing.T, pgURL string) (*replyCutter, string) {
	t.Helper()
	u, err := url.Parse(pgURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &replyCutter{ln: ln, target: u.Host}
	t.Cleanup(func() { ln.Close() })
	go c.serve()
	u.Host = ln.Addr().String()
	return c, u.String()
}

func (c *replyCutter) serve() {
	for {
		client, err := c.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", c.target)
		if err != nil {
			client.Close()
			continue
		}
		go func() {
			io.Copy(server, client)
			server.Close()
		}()
		go func() {
			c.relay(client, server)
			client.Close()
			server.Close()
		}()
	}
}

// relay copies the server's messages to the client (every one is a type
// byte and a length: the tests' connections ask for no TLS) until it cuts
// one.
func (c *replyCutter) relay(client, server net.Conn) {
	r := bufio.NewReader(server)
	cutting := ""
	for {
		var head [5]byte
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(head[1:])
		if n < 4 || n > 1<<26 {
			return
		}
		msg := make([]byte, 5+n-4)
		copy(msg, head[:])
		if _, err := io.ReadFull(r, msg[5:]); err != nil {
			return
		}
		switch {
		case cutting != "":
			if head[0] == 'Z' { // ready for query: the update is committed
				c.mu.Lock()
				c.cut = append(c.cut, cutting)
				c.mu.Unlock()
				return
			}
			continue
		case head[0] == 'C' && bytes.HasPrefix(msg[5:], []byte("UPDATE ")) && c.armed.CompareAndSwap(true, false):
			cutting = string(bytes.TrimRight(msg[5:], "\x00"))
			continue
		}
		if _, err := client.Write(msg); err != nil {
			return
		}
	}
}

func (c *replyCutter) lost() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.cut...)
}

// TestFireSurvivesALostConfirmReply: the replica claims the 07:00 fire,
// takes the lease and confirms the claim; the confirm is written, and its
// reply is lost with the connection. Not knowing whether it was written,
// the replica lets go of the claim and tries again a minute later, and
// runs the fire then, once. Before, the written confirm made the fire
// count as done, the retry found it so, and the fire never ran.
//
// A reply can only be lost on the way from a server: this runs on
// PostgreSQL.
func TestFireSurvivesALostConfirmReply(t *testing.T) {
	if storetest.Backend(t) != "postgres" {
		t.Skip("a lost reply needs a database server; runs with BULLETIN_TEST_BACKEND=postgres")
	}
	day := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, time.UTC) }
	cutter, path := newReplyCutter(t, storetest.URL(t))
	clk := clocktest.New(day(6, 59), day(7, 30))
	st := openStore(t, path, clk)
	var log runLog
	var logged bytes.Buffer
	opts := Options{Location: time.UTC, LockTTL: 2 * time.Minute, Logger: slog.New(slog.NewTextHandler(&logged, nil))}
	// The first UPDATE the scheduler makes is the 07:00 confirm: the
	// claim and the lease are inserts. The log tells that it was.
	cutter.armed.Store(true)
	simulate(t, st, clk, []JobSpec{{Name: "issue", Spec: "0 7 * * *", Run: log.job("issue", clk)}}, opts)
	if lost := cutter.lost(); len(lost) != 1 || lost[0] != "UPDATE 1" {
		t.Fatalf("replies lost: %q; want the confirm's, UPDATE 1", lost)
	}
	if !strings.Contains(logged.String(), `msg="cannot mark the fire time taken"`) {
		t.Fatalf("the reply lost was not the confirm's; the scheduler logged:\n%s", logged.String())
	}
	if runs := log.get("issue"); len(runs) != 1 || !runs[0].Equal(day(7, 1)) {
		t.Fatalf("the 07:00 fire ran at %v; want once, at 07:01, after its confirm's reply was lost at 07:00", runs)
	}
}
