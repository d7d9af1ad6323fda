package redistest

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Cluster is a Redis Cluster of three masters, no replicas, on loopback
// ports, started for one test and stopped at its end.
type Cluster struct {
	Addrs []string
	Nodes []*Server
}

// NewCluster starts a cluster and waits until every node serves all 16384
// slots. It skips tb unless redis-server and redis-cli are on PATH (see
// RequireEnv).
func NewCluster(tb testing.TB) *Cluster {
	tb.Helper()
	needBinaries(tb)
	dir := tb.TempDir()
	c := &Cluster{}
	for _, p := range freePorts(tb, 3) {
		s := startServer(tb, dir, p, "cluster-enabled yes",
			"cluster-config-file nodes-"+strconv.Itoa(p)+".conf", "cluster-node-timeout 2000")
		c.Nodes = append(c.Nodes, s)
		c.Addrs = append(c.Addrs, s.Addr)
	}
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		tb.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, a := range c.Addrs {
		n := redis.NewClient(&redis.Options{Addr: a})
		waitFor(tb, "cluster node "+a, func(ctx context.Context) error {
			info, err := n.ClusterInfo(ctx).Result()
			if err != nil {
				return err
			}
			if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_slots_assigned:16384") {
				return fmt.Errorf("not ok yet")
			}
			return nil
		})
		n.Close()
	}
	return c
}

// Client is a cluster client that waits until it sees every master.
func (c *Cluster) Client(tb testing.TB) *redis.ClusterClient {
	tb.Helper()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs})
	tb.Cleanup(func() { rdb.Close() })
	waitFor(tb, "cluster client", func(ctx context.Context) error {
		var n atomic.Int32 // ForEachMaster calls in parallel
		err := rdb.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			n.Add(1)
			return m.Ping(ctx).Err()
		})
		if err == nil && int(n.Load()) != len(c.Addrs) {
			err = fmt.Errorf("%d of %d masters seen", n.Load(), len(c.Addrs))
		}
		return err
	})
	return rdb
}

// Each runs f as a subtest against a logical database of the shared server
// ("single") and against a cluster of its own ("cluster"), for code that
// must work the same on both.
func Each(t *testing.T, f func(t *testing.T, rdb redis.UniversalClient)) {
	t.Helper()
	t.Run("single", func(t *testing.T) {
		_, rdb := New(t)
		f(t, rdb)
	})
	t.Run("cluster", func(t *testing.T) {
		f(t, NewCluster(t).Client(t))
	})
}
