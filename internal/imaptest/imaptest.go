// Package imaptest runs IMAP servers for tests: go-imap's in-memory
// server in the test process, or Debian's Dovecot (its imap process, run
// by doveadm for each connection on a loopback port, with its mail in a
// folder of the test's and no service of the system's). Both are reached
// over TCP as a real mailbox is, and read back with an IMAP client.
package imaptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/bulletin-app/bulletin/internal/testtool"
)

// Server is a running IMAP server with one user.
type Server struct {
	Host               string
	Port               int
	Username, Password string
	// TLS is "none", or "implicit" when the server was started with a
	// certificate; TLSConfig then trusts it.
	TLS       string
	TLSConfig *tls.Config
	// Logins counts LOGIN commands (the in-process server only).
	Logins atomic.Int32
}

// Options shape the in-process server.
type Options struct {
	// NoMove leaves MOVE out of the capabilities, NoUIDPlus UIDPLUS: the
	// client must copy, flag and expunge instead.
	NoMove, NoUIDPlus bool
	// FailCopy, when set and returning true, makes a COPY fail (only
	// with NoMove).
	FailCopy func() bool
	// TLS serves implicit TLS with a certificate for 127.0.0.1.
	TLS bool
}

// StartMemory starts go-imap's in-memory server on 127.0.0.1, with an
// INBOX, until the test ends.
func StartMemory(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{Host: "127.0.0.1", Username: "bounces@example.org", Password: "imap password", TLS: "none"}
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(s.Username, s.Password)
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(u)
	caps := imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapNamespace: {}, imap.CapUIDPlus: {}, imap.CapMove: {}, imap.CapLiteralPlus: {}}
	if o.NoMove {
		delete(caps, imap.CapMove)
	}
	if o.NoUIDPlus {
		delete(caps, imap.CapUIDPlus)
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			sess := &counting{Session: mem.NewSession(), logins: &s.Logins}
			if o.NoMove && o.FailCopy != nil {
				return &failingCopy{counting: sess, fail: o.FailCopy}, nil, nil
			}
			return sess, nil, nil
		},
		Caps:         caps,
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.TLS {
		cert, pool := selfSigned(t)
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
		s.TLS, s.TLSConfig = "implicit", &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	}
	s.Port = ln.Addr().(*net.TCPAddr).Port
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// counting counts logins. Embedding the session's interface hides the
// memory server's optional methods: those the tests need are passed on.
type counting struct {
	imapserver.Session
	logins *atomic.Int32
}

func (c *counting) Login(user, pass string) error {
	c.logins.Add(1)
	return c.Session.Login(user, pass)
}

func (c *counting) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	m, ok := c.Session.(imapserver.SessionMove)
	if !ok {
		return errors.New("no MOVE")
	}
	return m.Move(w, numSet, dest)
}

func (c *counting) Namespace() (*imap.NamespaceData, error) {
	if n, ok := c.Session.(imapserver.SessionNamespace); ok {
		return n.Namespace()
	}
	return nil, errors.New("no NAMESPACE")
}

type failingCopy struct {
	*counting
	fail func() bool
}

func (f *failingCopy) Copy(numSet imap.NumSet, dest string) (*imap.CopyData, error) {
	if f.fail() {
		return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "test: copy refused"}
	}
	return f.counting.Copy(numSet, dest)
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "imaptest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// DovecotOptions shape the Dovecot server.
type DovecotOptions struct {
	// NoMove makes Dovecot announce no MOVE (imap_capability).
	NoMove bool
}

// StartDovecot serves Debian's Dovecot on a loopback port: each
// connection runs "doveadm exec imap" for one user, which greets already
// logged in (PREAUTH), on a maildir in a folder of the test's. It needs
// the dovecot-imapd package; without it the test skips (fails under
// BULLETIN_E2E=1). As root, the imap process runs as nobody, which must
// be able to reach the folder: it is made outside the test's 0700
// temporary folder.
func StartDovecot(t testing.TB, o DovecotOptions) *Server {
	t.Helper()
	doveadm := testtool.Need(t, "doveadm")[0]
	if _, err := os.Stat("/usr/lib/dovecot/imap"); err != nil {
		testtool.Missing(t, "dovecot's imap binary is not installed (Debian: dovecot-imapd)")
	}
	base := os.TempDir()
	if os.Geteuid() == 0 {
		base = "/tmp" // nobody must reach it: not a TMPDIR of root's own
	}
	dir, err := os.MkdirTemp(base, "bulletin-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf("log_path = %s/dovecot.log\nssl = no\nmail_home = %s\nmail_location = maildir:~/Mail\n"+
		"namespace inbox {\n  separator = /\n  prefix =\n  inbox = yes\n}\n", dir, home)
	if os.Geteuid() == 0 {
		// Dovecot refuses to keep mail as root.
		nobody, err := user.Lookup("nobody")
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(nobody.Uid)
		gid, _ := strconv.Atoi(nobody.Gid)
		if err := os.Chown(home, uid, gid); err != nil {
			t.Fatal(err)
		}
		conf += fmt.Sprintf("mail_uid = %d\nmail_gid = %d\nfirst_valid_uid = 1\nfirst_valid_gid = 1\n", uid, gid)
	}
	var args []string
	if o.NoMove {
		// On the command line: the imap process run alone does not read
		// it from the file.
		args = []string{"-o", "imap_capability=IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS UNSELECT"}
	}
	cfg := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serveDovecot(conn, doveadm, cfg, home, dir, args)
		}
	}()
	s := &Server{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Username: "bounces", Password: "unused: PREAUTH", TLS: "none"}
	// A first connection proves it runs here, or says why not.
	c, err := imapclient.DialInsecure(net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), nil)
	if err == nil {
		err = c.WaitGreeting()
		if err == nil && c.State() != imap.ConnStateAuthenticated {
			err = errors.New("no PREAUTH greeting")
		}
		c.Close()
	}
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
		t.Fatalf("dovecot does not answer: %v\n%s", err, log)
	}
	return s
}

func serveDovecot(conn net.Conn, doveadm, cfg, home, dir string, args []string) {
	defer conn.Close()
	cmd := exec.Command(doveadm, append([]string{"-c", cfg, "exec", "imap"}, args...)...)
	cmd.Env = []string{"USER=bounces", "HOME=" + home, "PATH=" + os.Getenv("PATH")}
	cmd.Dir = dir
	cmd.Stdin, cmd.Stdout = conn, conn
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Run()
}

// client logs in to s.
func (s *Server) client(t testing.TB) *imapclient.Client {
	t.Helper()
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	var c *imapclient.Client
	var err error
	if s.TLS == "implicit" {
		c, err = imapclient.DialTLS(addr, &imapclient.Options{TLSConfig: s.TLSConfig})
	} else {
		c, err = imapclient.DialInsecure(addr, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitGreeting(); err != nil {
		t.Fatal(err)
	}
	if c.State() == imap.ConnStateNotAuthenticated {
		if err := c.Login(s.Username, s.Password).Wait(); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// Append puts a message in a folder, as a mail server delivers it.
func (s *Server) Append(t testing.TB, folder string, raw []byte) {
	t.Helper()
	c := s.client(t)
	defer c.Close()
	w := c.Append(folder, int64(len(raw)), &imap.AppendOptions{Time: time.Now()})
	if _, err := w.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Wait(); err != nil {
		t.Fatalf("append to %s: %v", folder, err)
	}
}

// Messages returns the messages of a folder, oldest first, those flagged
// \Deleted left out; none when the folder does not exist.
func (s *Server) Messages(t testing.TB, folder string) [][]byte {
	t.Helper()
	c := s.client(t)
	defer c.Close()
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return nil
	}
	found, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagDeleted}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	uids := found.AllUIDs()
	if len(uids) == 0 {
		return nil
	}
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, m := range msgs {
		out = append(out, m.FindBodySection(section))
	}
	return out
}

// Count is how many messages a folder holds (not flagged \Deleted).
func (s *Server) Count(t testing.TB, folder string) int { return len(s.Messages(t, folder)) }

// Caps are the capabilities the server announces to a logged-in client.
func (s *Server) Caps(t testing.TB) imap.CapSet {
	t.Helper()
	c := s.client(t)
	defer c.Close()
	return c.Caps()
}
