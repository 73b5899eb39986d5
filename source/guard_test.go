package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// loopbackClient is NewClient's client with 127.0.0.1 allowed, the address
// httptest servers listen on: tests allow it as an operator would.
func loopbackClient() *http.Client {
	return NewClient(ClientOptions{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
}

func TestGuardRefusesInternalAddresses(t *testing.T) {
	internal := []string{
		"127.0.0.1", "127.0.0.2", "127.255.255.254", "0.0.0.0", "0.1.2.3",
		"10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
		"169.254.169.254", "169.254.0.1", "100.64.0.1", "100.127.255.255",
		"192.0.0.8", "192.0.2.1", "198.18.0.1", "198.19.255.255", "198.51.100.7", "203.0.113.9",
		"192.88.99.1", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
		"::", "::1", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1", "fec0::1",
		"ff02::1", "ff05::1:3", "100::1", "2001:db8::1", "2001::1", "2001:2::1", "3fff::1", "5f00::1",
		// IPv4-mapped, -compatible, NAT64 and 6to4 forms of internal ones.
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:0.0.0.0",
		"::127.0.0.1", "::10.0.0.1", "64:ff9b::127.0.0.1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::1",
		"2002:7f00:1::1", "2002:a00:1::1", "2002:c0a8:101::1",
		// Unassigned IPv6 outside 2000::/3.
		"4000::1", "e000::1",
	}
	public := []string{
		"93.184.216.34", "1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.1", "172.32.0.1",
		"192.0.1.1", "198.17.255.255", "198.20.0.1", "223.255.255.255", "11.0.0.1",
		"2606:4700:4700::1111", "2a00:1450:4001::200e", "::ffff:93.184.216.34",
		"64:ff9b::5db8:d822", "2002:5db8:d822::1",
	}
	var g guard
	for _, s := range internal {
		a := netip.MustParseAddr(s)
		err := g.check(a)
		var ae *AddressError
		if !errors.As(err, &ae) || !errors.Is(err, ErrInternalAddress) {
			t.Errorf("%s: check = %v, want an AddressError", s, err)
			continue
		}
		if !strings.Contains(err.Error(), "allow_networks") {
			t.Errorf("%s: %q does not say how to allow it", s, err)
		}
	}
	for _, s := range public {
		if err := g.check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("%s: %v, want allowed", s, err)
		}
	}

	allow := guard{allow: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("fd00:1::/64")}}
	for s, ok := range map[string]bool{
		"10.1.2.3": true, "::ffff:10.1.2.3": true, "fd00:1::5": true,
		"10.2.0.1": false, "127.0.0.1": false, "fd00:2::5": false, "169.254.169.254": false,
	} {
		if err := allow.check(netip.MustParseAddr(s)); (err == nil) != ok {
			t.Errorf("allowing 10.1.0.0/16 and fd00:1::/64, %s: %v", s, err)
		}
	}
}

// dnsServer answers A queries on loopback with whatever answer returns
// for the name, and AAAA queries with nothing, as a resolver an attacker
// controls would.
func dnsServer(t *testing.T, answer func(name string) netip.Addr) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
			b.EnableCompression()
			b.StartQuestions()
			b.Question(q)
			b.StartAnswers()
			if q.Type == dnsmessage.TypeA {
				a := answer(strings.TrimSuffix(q.Name.String(), "."))
				b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 0},
					dnsmessage.AResource{A: a.As4()})
			}
			msg, err := b.Finish()
			if err == nil {
				pc.WriteTo(msg, from)
			}
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

// countingServer listens on addr and counts the connections it accepts.
func countingServer(t *testing.T, addr string, h http.Handler) (port string, conns *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	conns = &atomic.Int32{}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h, ConnState: func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}}}
	srv.Start()
	t.Cleanup(srv.Close)
	_, port, _ = net.SplitHostPort(ln.Addr().String())
	return port, conns
}

func get(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// A public-looking name whose DNS answer is an internal address is refused
// when dialled, before any connection is made; allowed, the same request
// goes through, so the refusal is the guard's.
func TestGuardRefusesNamesThatResolveInside(t *testing.T) {
	port, conns := countingServer(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "internal")
	}))
	resolver := dnsServer(t, func(string) netip.Addr { return netip.MustParseAddr("127.0.0.2") })
	url := "http://news.example.com:" + port + "/"

	_, err := get(NewClient(ClientOptions{Resolver: resolver}), url)
	if !errors.Is(err, ErrInternalAddress) {
		t.Fatalf("GET %s (resolving to 127.0.0.2): %v, want ErrInternalAddress", url, err)
	}
	if n := conns.Load(); n != 0 {
		t.Fatalf("the internal server accepted %d connections before the refusal", n)
	}

	allowed := NewClient(ClientOptions{Resolver: resolver, AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}})
	if body, err := get(allowed, url); err != nil || body != "internal" {
		t.Fatalf("with 127.0.0.2/32 allowed: %q, %v", body, err)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("allowed: %d connections, want 1", n)
	}
}

// A name that resolves to an allowed address once and to an internal one
// the next time (DNS rebinding) is checked on each connection, with the
// address it is made to.
func TestGuardChecksEveryConnection(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	// The same port on both addresses, so that only the DNS answer differs.
	var port string
	var good, bad *atomic.Int32
	for range 20 {
		port, good = countingServer(t, "127.0.0.1:0", h)
		ln, err := net.Listen("tcp", "127.0.0.2:"+port)
		if err != nil {
			continue
		}
		ln.Close()
		_, bad = countingServer(t, "127.0.0.2:"+port, h)
		break
	}
	if bad == nil {
		t.Skip("no port free on both 127.0.0.1 and 127.0.0.2")
	}
	var mu sync.Mutex
	answers := []string{"127.0.0.1", "127.0.0.2"}
	resolver := dnsServer(t, func(string) netip.Addr {
		mu.Lock()
		defer mu.Unlock()
		a := answers[0]
		if len(answers) > 1 {
			answers = answers[1:]
		}
		return netip.MustParseAddr(a)
	})
	c := NewClient(ClientOptions{Resolver: resolver, AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	c.Transport.(*http.Transport).DisableKeepAlives = true
	url := "http://rebind.example.net:" + port + "/"
	if _, err := get(c, url); err != nil {
		t.Fatalf("first GET (to 127.0.0.1): %v", err)
	}
	if _, err := get(c, url); !errors.Is(err, ErrInternalAddress) {
		t.Fatalf("second GET (now resolving to 127.0.0.2): %v, want ErrInternalAddress", err)
	}
	if good.Load() != 1 || bad.Load() != 0 {
		t.Errorf("connections: %d to 127.0.0.1 (want 1), %d to 127.0.0.2 (want 0)", good.Load(), bad.Load())
	}
}

// Redirects are checked: to an internal address literal, and to a name
// that resolves to one.
func TestGuardChecksRedirects(t *testing.T) {
	port, conns := countingServer(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "internal")
	}))
	resolver := dnsServer(t, func(string) netip.Addr { return netip.MustParseAddr("127.0.0.2") })
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.TrimPrefix(r.URL.Path, "/to/"), http.StatusFound)
	}))
	defer redirector.Close()
	c := NewClient(ClientOptions{Resolver: resolver, AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	for _, target := range []string{
		"http://127.0.0.2:" + port + "/",
		"http://[::ffff:127.0.0.2]:" + port + "/",
		"http://cdn.example.org:" + port + "/",
	} {
		_, err := get(c, redirector.URL+"/to/"+target)
		if !errors.Is(err, ErrInternalAddress) {
			t.Errorf("redirect to %s: %v, want ErrInternalAddress", target, err)
		}
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("the internal server accepted %d connections", n)
	}
}

// An UpstreamFeed with no client of its own reaches public addresses only.
func TestFeedDefaultClientRefusesLoopback(t *testing.T) {
	port, conns := countingServer(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<rss version="2.0"><channel><title>T</title></channel></rss>`)
	}))
	f := UpstreamFeed{Name: "local", URL: fmt.Sprintf("http://127.0.0.1:%s/feed.xml", port)}
	_, st, err := f.Fetch(context.Background(), State{})
	if !errors.Is(err, ErrInternalAddress) {
		t.Fatalf("Fetch = %v, want ErrInternalAddress", err)
	}
	if st.Failures != 1 {
		t.Errorf("a refused fetch is a failure of the source; failures = %d", st.Failures)
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("%d connections made", n)
	}
}
