package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// blockedPrefixes are the destinations a tenant-supplied URL must not reach:
// this host, private networks, link-local (cloud metadata services live at
// 169.254.169.254 and fd00:ec2::254) and addresses that are not unicast on
// the internet.
var blockedPrefixes = mustPrefixes(
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
	"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
	"198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
	"::/128", "::1/128", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/23",
	"2001:db8::/32", "2002::/16", "fc00::/7", "fe80::/10", "ff00::/8",
)

func mustPrefixes(s ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(s))
	for i, p := range s {
		out[i] = netip.MustParsePrefix(p)
	}
	return out
}

// AddressPolicy decides which IP addresses deliveries may connect to. The
// zero value allows public unicast addresses only.
type AddressPolicy struct {
	// Allow lists prefixes the operator opened despite the block list, such
	// as 127.0.0.0/8 in tests or an internal network in a private install.
	Allow []netip.Prefix
}

// Allowed reports whether a delivery may connect to ip.
func (p AddressPolicy) Allowed(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, a := range p.Allow {
		if a.Contains(ip) {
			return true
		}
	}
	if !ip.IsValid() || ip.Zone() != "" {
		return false
	}
	for _, b := range blockedPrefixes {
		if b.Contains(ip) {
			return false
		}
	}
	return true
}

// BlockedAddressError means an endpoint's host resolved to an address the
// policy refuses. The attempt fails without any connection made.
type BlockedAddressError struct {
	Host string
	IP   netip.Addr
}

func (e *BlockedAddressError) Error() string {
	return fmt.Sprintf("destination %s resolves to %s, which deliveries may not reach", e.Host, e.IP)
}

// guardedDialer resolves a host once, refuses the connection when any of its
// addresses is blocked (a host answering with a mix of public and private
// addresses is the DNS rebinding trick), and dials the very addresses it
// checked, never the name again.
type guardedDialer struct {
	policy   AddressPolicy
	resolver *net.Resolver
	dialer   *net.Dialer
}

func newGuardedDialer(p AddressPolicy, connectTimeout time.Duration) *guardedDialer {
	g := &guardedDialer{policy: p, resolver: net.DefaultResolver}
	g.dialer = &net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second, Control: g.control}
	return g
}

func (g *guardedDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("bad port %q", portText)
	}
	ips, err := g.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	for _, ip := range ips {
		if !g.policy.Allowed(ip) {
			return nil, &BlockedAddressError{Host: host, IP: ip}
		}
	}
	var errs []error
	for _, ip := range ips {
		conn, err := g.dialer.DialContext(ctx, network, netip.AddrPortFrom(ip.Unmap(), uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func (g *guardedDialer) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	ips, err := g.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("%s has no addresses", host)
	}
	return ips, nil
}

// control checks the socket's address just before connect: a second lock in
// case anything ever hands the dialer an unchecked address.
func (g *guardedDialer) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dialling unparsed address %q", address)
	}
	if !g.policy.Allowed(ap.Addr()) {
		return &BlockedAddressError{Host: address, IP: ap.Addr()}
	}
	return nil
}

// ClientOptions tunes the delivery HTTP client.
type ClientOptions struct {
	// ConnectTimeout bounds the TCP connect (default 5s).
	ConnectTimeout time.Duration
	// IdleConnsPerHost is how many keep-alive connections to one host stay
	// open between deliveries (default 64).
	IdleConnsPerHost int
}

// NewHTTPClient returns the client deliveries go through: every connection
// passes the address policy, proxies from the environment are ignored (a
// proxy would connect on our behalf, unchecked) and redirects are not
// followed (a 3xx is a failed attempt, so a redirect cannot lead a delivery
// somewhere the URL check never saw).
func NewHTTPClient(p AddressPolicy, o ClientOptions) *http.Client {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 5 * time.Second
	}
	if o.IdleConnsPerHost <= 0 {
		o.IdleConnsPerHost = 64
	}
	t := &http.Transport{
		Proxy:                 nil,
		DialContext:           newGuardedDialer(p, o.ConnectTimeout).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          o.IdleConnsPerHost * 16,
		MaxIdleConnsPerHost:   o.IdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: 0, // the per-attempt context deadline bounds it
	}
	return &http.Client{
		Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
