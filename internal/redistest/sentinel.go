package redistest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// MasterName is the name the sentinels of NewSentinel monitor.
const MasterName = "wabsp"

// Sentinel is one master, its replicas and three sentinels on loopback
// ports, started for one test and stopped at its end. The sentinels fail
// over a second after the master stops answering.
type Sentinel struct {
	Master        *Server
	Replicas      []*Server
	Sentinels     []*Server
	SentinelAddrs []string
	// CA signs the servers' certificates in a set from NewTLSSentinel.
	CA     *CA
	access access
}

// NewSentinel starts the set with the given number of replicas and waits
// until they are in sync and the sentinels agree on the master and know
// its replicas and each other. It skips like NewCluster.
func NewSentinel(tb testing.TB, replicas int) *Sentinel {
	tb.Helper()
	return newSentinel(tb, replicas, nil)
}

// NewTLSSentinel starts a set like NewSentinel in which every server,
// sentinels included, speaks only TLS and the master and replicas take
// only TLSUser, as a NewTLS server does.
func NewTLSSentinel(tb testing.TB, replicas int) *Sentinel {
	tb.Helper()
	return newSentinel(tb, replicas, NewCA(tb))
}

func newSentinel(tb testing.TB, replicas int, ca *CA) *Sentinel {
	tb.Helper()
	needBinaries(tb)
	dir := tb.TempDir()
	ports := freePorts(tb, 4+replicas)
	s := &Sentinel{CA: ca, access: newAccess(tb, dir, ca)}
	s.Master = s.access.start(tb, dir, ports[0], true)
	for _, p := range ports[1 : 1+replicas] {
		conf := append(s.access.replicaAuth(), "replicaof 127.0.0.1 "+strconv.Itoa(ports[0]))
		s.Replicas = append(s.Replicas, s.access.start(tb, dir, p, true, conf...))
	}
	m := redis.NewClient(s.access.options(s.Master.Addr, true))
	waitFor(tb, "replica sync", func(ctx context.Context) error {
		info, err := m.Info(ctx, "replication").Result()
		if err == nil && strings.Count(info, "state=online") != replicas {
			err = fmt.Errorf("replica not online yet")
		}
		return err
	})
	m.Close()
	for _, p := range ports[1+replicas:] {
		conf := append([]string{
			fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 2", MasterName, ports[0]),
			"sentinel down-after-milliseconds " + MasterName + " 1000",
			"sentinel failover-timeout " + MasterName + " 5000",
			"sentinel parallel-syncs " + MasterName + " 1",
		}, s.access.sentinelAuth(MasterName)...)
		sn := s.access.start(tb, dir, p, false, conf...)
		s.Sentinels = append(s.Sentinels, sn)
		s.SentinelAddrs = append(s.SentinelAddrs, sn.Addr)
	}
	for _, a := range s.SentinelAddrs {
		c := redis.NewSentinelClient(s.access.options(a, false))
		waitFor(tb, "sentinel "+a, func(ctx context.Context) error {
			m, err := c.Master(ctx, MasterName).Result()
			if err != nil {
				return err
			}
			if m["num-slaves"] != strconv.Itoa(replicas) || m["num-other-sentinels"] != "2" {
				return fmt.Errorf("sees %s replicas and %s other sentinels", m["num-slaves"], m["num-other-sentinels"])
			}
			return nil
		})
		c.Close()
	}
	return s
}

// Client is a failover client on database db.
func (s *Sentinel) Client(tb testing.TB, db int) *redis.Client {
	tb.Helper()
	o := s.access.options("", true)
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: MasterName, SentinelAddrs: s.SentinelAddrs, DB: db,
		Username: o.Username, Password: o.Password, TLSConfig: o.TLSConfig})
	tb.Cleanup(func() { rdb.Close() })
	return rdb
}

// URL is the redis-sentinel:// URL of the set, rediss-sentinel:// with
// TLSUser's credentials in a TLS set.
func (s *Sentinel) URL() string {
	hosts := strings.Join(s.SentinelAddrs, ",") + "/" + MasterName
	if s.CA == nil {
		return "redis-sentinel://" + hosts
	}
	return "rediss-sentinel://" + TLSUser + ":" + TLSPassword + "@" + hosts
}

// URL is the redis-cluster:// URL of the cluster.
func (c *Cluster) URL() string { return "redis-cluster://" + strings.Join(c.Addrs, ",") }

// MasterAddr is the address the sentinels name as master now.
func (s *Sentinel) MasterAddr(ctx context.Context) (string, error) {
	c := redis.NewSentinelClient(s.access.options(s.SentinelAddrs[0], false))
	defer c.Close()
	hp, err := c.GetMasterAddrByName(ctx, MasterName).Result()
	if err != nil {
		return "", err
	}
	return hp[0] + ":" + hp[1], nil
}
