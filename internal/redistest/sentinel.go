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
}

// NewSentinel starts the set with the given number of replicas and waits
// until they are in sync and the sentinels agree on the master and know
// its replicas and each other. It skips like NewCluster.
func NewSentinel(tb testing.TB, replicas int) *Sentinel {
	tb.Helper()
	needBinaries(tb)
	dir := tb.TempDir()
	ports := freePorts(tb, 4+replicas)
	s := &Sentinel{}
	s.Master = startServer(tb, dir, ports[0])
	for _, p := range ports[1 : 1+replicas] {
		s.Replicas = append(s.Replicas, startServer(tb, dir, p, "replicaof 127.0.0.1 "+strconv.Itoa(ports[0])))
	}
	m := redis.NewClient(&redis.Options{Addr: s.Master.Addr})
	waitFor(tb, "replica sync", func(ctx context.Context) error {
		info, err := m.Info(ctx, "replication").Result()
		if err == nil && strings.Count(info, "state=online") != replicas {
			err = fmt.Errorf("replica not online yet")
		}
		return err
	})
	m.Close()
	for _, p := range ports[1+replicas:] {
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
