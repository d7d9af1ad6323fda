// Package redisconf turns wabsp's Redis settings into connections: a single
// node, a Sentinel-managed master (failover) or a Redis Cluster, each with
// optional TLS and ACL user and password. One Settings value yields both the
// go-redis client every Redis use shares and the asynq connection option the
// scheduler needs, so the two can never point at different servers.
//
// Errors never contain a password: they name the setting and the problem.
package redisconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Mode is how Redis is deployed.
type Mode string

// The deployments wabsp connects to.
const (
	Single   Mode = "single"
	Sentinel Mode = "sentinel"
	Cluster  Mode = "cluster"
)

// Settings describe one Redis deployment.
type Settings struct {
	Mode Mode
	// Addrs are host:port pairs: the node (Single), the sentinels
	// (Sentinel) or the seed nodes (Cluster).
	Addrs []string
	// MasterName is the Sentinel master's name (Sentinel only).
	MasterName string
	Username   string
	Password   string
	// SentinelUsername and SentinelPassword authenticate to the sentinels
	// when they require it (sentinel ACLs are separate from the data nodes').
	SentinelUsername string
	SentinelPassword string
	// DB is the logical database; a cluster has only database 0.
	DB int
	// TLS turns on TLS; TLSCAFile (PEM) replaces the system roots and
	// TLSServerName the name checked in the server's certificate.
	TLS           bool
	TLSCAFile     string
	TLSServerName string
}

// Validate reports what would stop a connection from being built.
func (s Settings) Validate() error {
	var errs []error
	switch s.Mode {
	case Single:
		if len(s.Addrs) != 1 {
			errs = append(errs, errors.New("a single node needs exactly one address"))
		}
	case Sentinel:
		if len(s.Addrs) == 0 {
			errs = append(errs, errors.New("sentinel needs at least one sentinel address"))
		}
		if s.MasterName == "" {
			errs = append(errs, errors.New("sentinel needs the master name"))
		}
	case Cluster:
		if len(s.Addrs) == 0 {
			errs = append(errs, errors.New("cluster needs at least one node address"))
		}
		if s.DB != 0 {
			errs = append(errs, fmt.Errorf("a cluster has only database 0, got %d", s.DB))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown mode %q", s.Mode))
	}
	for i, a := range s.Addrs {
		if err := checkAddr(a); err != nil {
			errs = append(errs, fmt.Errorf("address %d of %d %w", i+1, len(s.Addrs), err))
		}
	}
	if s.DB < 0 || s.DB > 15 {
		errs = append(errs, fmt.Errorf("database must be 0..15, got %d", s.DB))
	}
	if !s.TLS && (s.TLSCAFile != "" || s.TLSServerName != "") {
		errs = append(errs, errors.New("a TLS CA file or server name needs TLS (rediss:// or WABSP_REDIS_TLS=true)"))
	}
	return errors.Join(errs...)
}

// String describes the deployment for logs, without any secret.
func (s Settings) String() string {
	var b strings.Builder
	b.WriteString(string(s.Mode))
	if s.MasterName != "" {
		fmt.Fprintf(&b, " master %s", s.MasterName)
	}
	fmt.Fprintf(&b, " %s", strings.Join(s.Addrs, ","))
	if s.DB != 0 {
		fmt.Fprintf(&b, " db %d", s.DB)
	}
	if s.TLS {
		b.WriteString(" tls")
	}
	return b.String()
}

// tlsConfig is the TLS configuration, nil without TLS.
func (s Settings) tlsConfig() (*tls.Config, error) {
	if !s.TLS {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: s.TLSServerName}
	if s.TLSCAFile == "" {
		return c, nil
	}
	pem, err := os.ReadFile(s.TLSCAFile)
	if err != nil {
		return nil, fmt.Errorf("redis TLS CA file: %w", err)
	}
	c.RootCAs = x509.NewCertPool()
	if !c.RootCAs.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("redis TLS CA file %s holds no PEM certificate", s.TLSCAFile)
	}
	return c, nil
}
