package redistest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestClusterSpreadsKeysOverThreeMasters(t *testing.T) {
	c := NewCluster(t)
	rdb := c.Client(t)
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
		if err := rdb.Set(ctx, k, "1", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// Keys of one hash tag share a slot; others do not have to.
	if err := rdb.MSet(ctx, "{t}x", 1, "{t}y", 2).Err(); err != nil {
		t.Fatalf("same-slot MSET: %v", err)
	}
	err := rdb.Eval(ctx, "return redis.call('MSET', KEYS[1], 1, KEYS[2], 2)", []string{"a", "b"}).Err()
	if err == nil || !strings.Contains(err.Error(), "CROSSSLOT") {
		t.Fatalf("cross-slot script: got %v, want CROSSSLOT", err)
	}
}

func TestSentinelFailsOverWhenTheMasterDies(t *testing.T) {
	s := NewSentinel(t, 1)
	rdb := s.Client(t, 0)
	ctx := context.Background()
	if err := rdb.Set(ctx, "k", "before", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := rdb.Wait(ctx, 1, 5*time.Second).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT: %d replicas, %v", n, err)
	}
	s.Master.Kill()
	waitFor(t, "failover", func(ctx context.Context) error { return rdb.Set(ctx, "k2", "after", 0).Err() })
	// Each sentinel learns of the new master in its own time.
	waitFor(t, "sentinels naming the replica", func(ctx context.Context) error {
		addr, err := s.MasterAddr(ctx)
		if err == nil && addr != s.Replicas[0].Addr {
			err = fmt.Errorf("master is %s, want the replica %s", addr, s.Replicas[0].Addr)
		}
		return err
	})
	if v, err := rdb.Get(ctx, "k").Result(); err != nil || v != "before" {
		t.Fatalf("replicated key: %q %v", v, err)
	}
}

func TestTLSServerRefusesPlainTextAndTheDefaultUser(t *testing.T) {
	s := NewTLS(t)
	ctx := context.Background()
	options := func() *redis.Options { return access{ca: s.CA}.options(s.Addr, true) }
	tests := []struct {
		name    string
		opts    func() *redis.Options
		wantErr string
	}{
		{"TLS as the ACL user", options, ""},
		{"plain text", func() *redis.Options {
			o := options()
			o.TLSConfig = nil
			return o
		}, "EOF"},
		{"default user", func() *redis.Options {
			o := options()
			o.Username, o.Password = "", ""
			return o
		}, "NOAUTH"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := redis.NewClient(tc.opts())
			defer c.Close()
			err := c.Set(ctx, "k", "v", 0).Err()
			if tc.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("got %v, want %q", err, tc.wantErr)
			}
		})
	}
}
