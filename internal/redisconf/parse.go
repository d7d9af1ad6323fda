package redisconf

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Vars are the Redis environment variables as internal/config reads them.
type Vars struct {
	URL                string // WABSP_REDIS_URL
	Addr               string // WABSP_REDIS_ADDR
	DB                 int    // WABSP_REDIS_DB
	Username, Password string // WABSP_REDIS_USERNAME, WABSP_REDIS_PASSWORD
	SentinelAddrs      string // WABSP_REDIS_SENTINEL_ADDRS
	MasterName         string // WABSP_REDIS_MASTER_NAME
	SentinelUsername   string // WABSP_REDIS_SENTINEL_USERNAME
	SentinelPassword   string // WABSP_REDIS_SENTINEL_PASSWORD
	ClusterAddrs       string // WABSP_REDIS_CLUSTER_ADDRS
	TLS                bool   // WABSP_REDIS_TLS
	TLSCAFile          string // WABSP_REDIS_TLS_CA_FILE
	TLSServerName      string // WABSP_REDIS_TLS_SERVER_NAME
}

// Resolve picks the deployment the variables describe. WABSP_REDIS_URL, when
// set, describes it alone; without it WABSP_REDIS_SENTINEL_ADDRS or
// WABSP_REDIS_CLUSTER_ADDRS choose Sentinel or Cluster, and WABSP_REDIS_ADDR
// a single node. Credentials and TLS files from the variables fill what the
// URL leaves out, so a password need not sit inside a URL.
func Resolve(v Vars) (Settings, error) {
	var s Settings
	switch {
	case v.URL != "" && (v.SentinelAddrs != "" || v.ClusterAddrs != ""):
		return s, errors.New("WABSP_REDIS_URL and WABSP_REDIS_SENTINEL_ADDRS/WABSP_REDIS_CLUSTER_ADDRS exclude each other")
	case v.SentinelAddrs != "" && v.ClusterAddrs != "":
		return s, errors.New("WABSP_REDIS_SENTINEL_ADDRS and WABSP_REDIS_CLUSTER_ADDRS exclude each other")
	case v.URL != "":
		var err error
		if s, err = Parse(v.URL); err != nil {
			return s, fmt.Errorf("WABSP_REDIS_URL: %w", err)
		}
	case v.SentinelAddrs != "":
		s = Settings{Mode: Sentinel, Addrs: splitAddrs(v.SentinelAddrs), MasterName: v.MasterName, DB: v.DB}
	case v.ClusterAddrs != "":
		s = Settings{Mode: Cluster, Addrs: splitAddrs(v.ClusterAddrs), DB: v.DB}
	default:
		s = Settings{Mode: Single, Addrs: splitAddrs(v.Addr), DB: v.DB}
	}
	fill(&s.Username, v.Username)
	fill(&s.Password, v.Password)
	fill(&s.SentinelUsername, v.SentinelUsername)
	fill(&s.SentinelPassword, v.SentinelPassword)
	if s.Mode == Sentinel {
		fill(&s.MasterName, v.MasterName)
	}
	fill(&s.TLSCAFile, v.TLSCAFile)
	fill(&s.TLSServerName, v.TLSServerName)
	s.TLS = s.TLS || v.TLS
	return s, s.Validate()
}

func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// schemes maps each URL scheme to its mode and whether it means TLS.
var schemes = map[string]struct {
	mode Mode
	tls  bool
}{
	"redis": {Single, false}, "rediss": {Single, true},
	"redis-sentinel": {Sentinel, false}, "rediss-sentinel": {Sentinel, true},
	"redis-cluster": {Cluster, false}, "rediss-cluster": {Cluster, true},
}

// Parse reads one of
//
//	redis[s]://[user[:password]@]host:port[/db]
//	redis[s]-sentinel://[user[:password]@]host:port[,host:port...]/master[?db=N&sentinel_username=u&sentinel_password=p]
//	redis[s]-cluster://[user[:password]@]host:port[,host:port...]
//
// where rediss means TLS. User and password are percent-encoded.
func Parse(raw string) (Settings, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	kind, known := schemes[strings.ToLower(scheme)]
	if !ok || !known {
		return Settings{}, errors.New("scheme must be redis, rediss, redis-sentinel, rediss-sentinel, redis-cluster or rediss-cluster")
	}
	hosts, u, err := splitHosts(rest)
	if err != nil {
		return Settings{}, err
	}
	s := Settings{Mode: kind.mode, TLS: kind.tls, Addrs: splitAddrs(hosts)}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	path := strings.TrimPrefix(u.Path, "/")
	switch s.Mode {
	case Single:
		if s.DB, err = parseDB(path); err != nil {
			return s, err
		}
	case Sentinel:
		s.MasterName = path
	case Cluster:
		if path != "" && path != "0" {
			return s, errors.New("a cluster URL takes no database path")
		}
	}
	return s, s.query(u.Query())
}

// splitHosts takes the host list out of a URL's remainder, which net/url
// cannot parse when it names several hosts, and parses the rest. No error
// quotes the input, which holds the password.
func splitHosts(rest string) (string, *url.URL, error) {
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	userinfo, hosts := "", authority
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		userinfo, hosts = authority[:at+1], authority[at+1:]
	}
	u, err := url.Parse("redis://" + userinfo + "hosts" + tail)
	if err != nil {
		return "", nil, errors.New("not a valid URL (percent-encode reserved characters in the user name and password)")
	}
	if u.Fragment != "" {
		return "", nil, errors.New("a Redis URL takes no #fragment")
	}
	if hosts == "" {
		return "", nil, errors.New("the URL names no host")
	}
	return hosts, u, nil
}

func (s *Settings) query(q url.Values) error {
	for k, vs := range q {
		v := vs[len(vs)-1]
		var err error
		switch {
		case k == "db" && s.Mode == Sentinel:
			s.DB, err = parseDB(v)
		case k == "sentinel_username" && s.Mode == Sentinel:
			s.SentinelUsername = v
		case k == "sentinel_password" && s.Mode == Sentinel:
			s.SentinelPassword = v
		case k == "tls_server_name" && s.TLS:
			s.TLSServerName = v
		default:
			// The name only: a misspelt sentinel_password must not leak.
			return fmt.Errorf("unknown URL parameter %q for %s", k, s.Mode)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func parseDB(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 15 {
		return 0, fmt.Errorf("database must be a number 0..15, got %q", s)
	}
	return n, nil
}

func splitAddrs(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// checkAddr does not quote the address: in a mistyped URL it may hold the
// password.
func checkAddr(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil || host == "" {
		return errors.New("must be host:port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return errors.New("has no valid port")
	}
	return nil
}
