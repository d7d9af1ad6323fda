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

// Sentinel is one master, one replica and three sentinels on loopback
// ports, started for one test and stopped at its end. The sentinels fail
// over a second after the master stops answering.
type Sentinel struct {
	Master, Replica *Server
	Sentinels       []*Server
	SentinelAddrs   []string
}

// NewSentinel starts the set and waits until the sentinels agree on the
// master and know its replica and each other. It skips like NewCluster.
func NewSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	needBinaries(tb)
	dir := tb.TempDir()
	ports := freePorts(tb, 5)
	s := &Sentinel{}
	s.Master = startServer(tb, dir, ports[0])
	s.Replica = startServer(tb, dir, ports[1], "replicaof 127.0.0.1 "+strconv.Itoa(ports[0]))
	m := redis.NewClient(&redis.Options{Addr: s.Master.Addr})
	waitFor(tb, "replica sync", func(ctx context.Context) error {
		info, err := m.Info(ctx, "replication").Result()
		if err == nil && !strings.Contains(info, "state=online") {
			err = fmt.Errorf("replica not online yet")
		}
		return err
	})
	m.Close()
	for _, p := range ports[2:] {
		sn := startServer(tb, dir, p,
			fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 2", MasterName, ports[0]),
			"sentinel down-after-milliseconds "+MasterName+" 1000",
			"sentinel failover-timeout "+MasterName+" 5000",
			"sentinel parallel-syncs "+MasterName+" 1")
		s.Sentinels = append(s.Sentinels, sn)
		s.SentinelAddrs = append(s.SentinelAddrs, sn.Addr)
	}
	for _, a := range s.SentinelAddrs {
		c := redis.NewSentinelClient(&redis.Options{Addr: a})
		waitFor(tb, "sentinel "+a, func(ctx context.Context) error {
			m, err := c.Master(ctx, MasterName).Result()
			if err != nil {
				return err
			}
			if m["num-slaves"] != "1" || m["num-other-sentinels"] != "2" {
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
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: MasterName, SentinelAddrs: s.SentinelAddrs, DB: db})
	tb.Cleanup(func() { rdb.Close() })
	return rdb
}

// URL is the redis-sentinel:// URL of the set.
func (s *Sentinel) URL() string {
	return "redis-sentinel://" + strings.Join(s.SentinelAddrs, ",") + "/" + MasterName
}

// URL is the redis-cluster:// URL of the cluster.
func (c *Cluster) URL() string { return "redis-cluster://" + strings.Join(c.Addrs, ",") }

// MasterAddr is the address the sentinels name as master now.
func (s *Sentinel) MasterAddr(ctx context.Context) (string, error) {
	c := redis.NewSentinelClient(&redis.Options{Addr: s.SentinelAddrs[0]})
	defer c.Close()
	hp, err := c.GetMasterAddrByName(ctx, MasterName).Result()
	if err != nil {
		return "", err
	}
	return hp[0] + ":" + hp[1], nil
}
