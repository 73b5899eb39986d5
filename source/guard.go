package source

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrInternalAddress matches the error of a request refused because it
// would connect to an address that is not on the public internet
// (loopback, private, link-local and the like), and that no allowed network
// lists.
var ErrInternalAddress = errors.New("internal address")

// AddressError is a connection refused before it was made.
type AddressError struct {
	Addr netip.Addr
	// Kind names the range, e.g. "loopback" or "private".
	Kind string
}

func (e *AddressError) Error() string {
	return fmt.Sprintf("%s is a %s address: not fetched unless fetch.allow_networks lists it", e.Addr, e.Kind)
}

func (e *AddressError) Is(target error) bool { return target == ErrInternalAddress }

// ClientOptions configure NewClient. The zero value reaches only public
// addresses.
type ClientOptions struct {
	// AllowNetworks are networks that may be reached even though they are
	// internal: an intranet feed an operator means to read.
	AllowNetworks []netip.Prefix
	// Resolver looks host names up; nil means net.DefaultResolver.
	Resolver *net.Resolver
}

// NewClient returns the HTTP client upstream fetches use. Whatever a feed
// links to or a server redirects to, it connects only to public addresses
// and to o.AllowNetworks. The check is made on each address a name resolves
// to, as the socket is about to connect, so neither a redirect nor a DNS
// answer that changes between lookups (rebinding) gets past it. Redirects
// stop after 10 and are checked again on the way. No proxy is used: through
// one, the address connected to would be the proxy's, and the check
// worthless.
func NewClient(o ClientOptions) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = o.dialer().DialContext
	g := guard{allow: o.AllowNetworks}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("stopped after %d redirects (loop?)", maxRedirects)
			}
			// A literal address is refused here already; names are
			// checked when their addresses are dialled.
			if a, err := netip.ParseAddr(req.URL.Hostname()); err == nil {
				return g.check(a)
			}
			return nil
		},
	}
}

// dialer is the net.Dialer of NewClient's transport: its Control hook runs
// after name resolution, for each address tried, before connect(2).
func (o ClientOptions) dialer() *net.Dialer {
	g := guard{allow: o.AllowNetworks}
	return &net.Dialer{
		Timeout:   30 * time.Second,
		KeepAlive: 30 * time.Second,
		Resolver:  o.Resolver,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("dial %s: unexpected address: %w", address, err)
			}
			return g.check(ap.Addr())
		},
	}
}

// guard decides which addresses may be connected to.
type guard struct {
	allow []netip.Prefix
}

// check returns an *AddressError for an address that is not globally
// reachable unicast (after the IANA special-purpose registries), unless an
// allowed network holds it.
func (g guard) check(a netip.Addr) error {
	a = a.WithZone("")
	if g.allowed(a) {
		return nil
	}
	if a.Is4In6() {
		return g.check(a.Unmap())
	}
	if kind := internalKind(a); kind != "" {
		return &AddressError{Addr: a, Kind: kind}
	}
	// Forms that carry an IPv4 address are as internal as it is.
	if v4, ok := embeddedIPv4(a); ok {
		if err := g.check(v4); err != nil {
			return &AddressError{Addr: a, Kind: err.(*AddressError).Kind + " (embedded " + v4.String() + ")"}
		}
	}
	return nil
}

func (g guard) allowed(a netip.Addr) bool {
	for _, p := range g.allow {
		if p.Contains(a) || (a.Is4In6() && p.Contains(a.Unmap())) {
			return true
		}
	}
	return false
}

// refused are the ranges that are not globally reachable, most specific
// first. IPv4: RFC 6890 and the IANA IPv4 special-purpose registry. IPv6:
// everything outside 2000::/3 but the NAT64 prefix, and the special ranges
// within it.
var refused = []struct {
	net  netip.Prefix
	kind string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), `"this network"`},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (carrier-grade NAT)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("192.88.99.0/24"), "6to4 relay anycast"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("255.255.255.255/32"), "broadcast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},

	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible (deprecated)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64"},
	{netip.MustParsePrefix("100::/64"), "discard-only"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("2001::/23"), "IETF protocol assignments (Teredo, benchmarking, ORCHID)"},
	{netip.MustParsePrefix("3fff::/20"), "documentation"},
	{netip.MustParsePrefix("5f00::/16"), "segment routing (SRv6)"},
	{netip.MustParsePrefix("fc00::/7"), "unique local (private)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "site-local (deprecated)"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

var (
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
	nat64          = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour      = netip.MustParsePrefix("2002::/16")
)

// internalKind names the refused range a is in, or "" for a public
// address. a has no zone and is not IPv4-mapped.
func internalKind(a netip.Addr) string {
	if !a.IsValid() {
		return "invalid"
	}
	for _, r := range refused {
		if r.net.Contains(a) {
			return r.kind
		}
	}
	if a.Is6() && !globalUnicast6.Contains(a) && !nat64.Contains(a) {
		return "unassigned or reserved"
	}
	return ""
}

// embeddedIPv4 returns the IPv4 address a NAT64 (64:ff9b::/96) or 6to4
// (2002::/16) address leads to.
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	b := a.As16()
	switch {
	case nat64.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(a):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}
