package redistest

import (
	"context"
	"crypto/tls"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
)

// The ACL user of the TLS servers; their default user is off, so every
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
	a := newAccess(tb, dir, NewCA(tb))
	return &TLSServer{Server: a.start(tb, dir, freePorts(tb, 1)[0], true), CA: a.ca}
}

// URL is the rediss:// URL of the server with TLSUser's credentials.
func (s *TLSServer) URL() string {
	return "rediss://" + TLSUser + ":" + TLSPassword + "@" + s.Addr
}

// access is how a test's servers are reached: in plain text by anyone
// (ca nil), or only over TLS, data nodes only as TLSUser.
type access struct {
	ca        *CA
	cert, key string
}

// newAccess issues the one server certificate all servers in dir share.
func newAccess(tb testing.TB, dir string, ca *CA) access {
	tb.Helper()
	a := access{ca: ca}
	if ca != nil {
		a.cert, a.key = ca.issueServer(tb, dir)
	}
	return a
}

// start runs a server on port with conf after the lines of a, and waits
// until it answers. A data node (user) takes only TLSUser; a sentinel
// keeps its default user, as the sentinels' ACL is separate.
func (a access) start(tb testing.TB, dir string, port int, user bool, conf ...string) *Server {
	tb.Helper()
	s := spawn(tb, dir, port, append(a.listen(port, user), conf...))
	c := redis.NewClient(a.options(s.Addr, user))
	defer c.Close()
	waitFor(tb, "redis-server "+s.Addr, func(ctx context.Context) error { return c.Ping(ctx).Err() })
	return s
}

// listen turns the plain port off and serves TLS on port without asking
// clients for certificates.
func (a access) listen(port int, user bool) []string {
	if a.ca == nil {
		return []string{"port " + strconv.Itoa(port)}
	}
	lines := []string{
		"port 0", "tls-port " + strconv.Itoa(port),
		"tls-cert-file " + a.cert, "tls-key-file " + a.key, "tls-ca-cert-file " + a.ca.File,
		"tls-auth-clients no",
		// Replicas and sentinels reach the master over TLS too.
		"tls-replication yes",
	}
	if user {
		lines = append(lines, "user default off", "user "+TLSUser+" on >"+TLSPassword+" ~* &* +@all")
	}
	return lines
}

// replicaAuth are the lines a replica needs to log in to its master.
func (a access) replicaAuth() []string {
	if a.ca == nil {
		return nil
	}
	return []string{"masteruser " + TLSUser, "masterauth " + TLSPassword}
}

// sentinelAuth are the lines a sentinel needs to log in to the master and
// replicas of master.
func (a access) sentinelAuth(master string) []string {
	if a.ca == nil {
		return nil
	}
	return []string{"sentinel auth-user " + master + " " + TLSUser, "sentinel auth-pass " + master + " " + TLSPassword}
}

func (a access) options(addr string, user bool) *redis.Options {
	o := &redis.Options{Addr: addr}
	if a.ca == nil {
		return o
	}
	o.TLSConfig = a.tlsConfig()
	if user {
		o.Username, o.Password = TLSUser, TLSPassword
	}
	return o
}

func (a access) tlsConfig() *tls.Config {
	if a.ca == nil {
		return nil
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: a.ca.Pool()}
}
