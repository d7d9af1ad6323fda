package redistest

import (
	"context"
	"crypto/tls"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
)

// The ACL user of the TLS servers; the default user is off, so every
// client must log in as it.
const (
	TLSUser     = "wabsp"
	TLSPassword = "secret"
)

// TLSServer is a redis-server that speaks only TLS, with a certificate
// from a CA of the test's own and one ACL user.
type TLSServer struct {
	*Server
	CA *CA
}

// NewTLS starts a TLS server on a free loopback port and waits until it
// answers TLSUser over TLS. It skips like NewCluster.
func NewTLS(tb testing.TB) *TLSServer {
	tb.Helper()
	needBinaries(tb)
	dir := tb.TempDir()
	ca := NewCA(tb)
	port := freePorts(tb, 1)[0]
	s := &TLSServer{Server: spawn(tb, dir, port, tlsConf(tb, dir, ca, port)), CA: ca}
	c := redis.NewClient(s.options())
	defer c.Close()
	waitFor(tb, "TLS redis-server "+s.Addr, func(ctx context.Context) error { return c.Ping(ctx).Err() })
	return s
}

// URL is the rediss:// URL of the server with TLSUser's credentials.
func (s *TLSServer) URL() string {
	return "rediss://" + TLSUser + ":" + TLSPassword + "@" + s.Addr
}

func (s *TLSServer) options() *redis.Options {
	return &redis.Options{
		Addr: s.Addr, Username: TLSUser, Password: TLSPassword,
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: s.CA.Pool()},
	}
}

// tlsConf turns the plain port off, serves TLS on port without asking
// clients for certificates, and replaces the open default user by
// TLSUser.
func tlsConf(tb testing.TB, dir string, ca *CA, port int) []string {
	tb.Helper()
	cert, key := ca.issueServer(tb, dir)
	return []string{
		"port 0", "tls-port " + strconv.Itoa(port),
		"tls-cert-file " + cert, "tls-key-file " + key, "tls-ca-cert-file " + ca.File,
		"tls-auth-clients no",
		"user default off",
		"user " + TLSUser + " on >" + TLSPassword + " ~* &* +@all",
	}
}
