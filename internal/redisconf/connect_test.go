package redisconf_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/internal/redisconf"
	"github.com/wabsp/wabsp/internal/redistest"
)

// TestConnectsToEveryTopology builds the go-redis client and the asynq
// option from the variables for each deployment and checks both reach it:
// a task enqueued through the asynq option is seen through the client.
// The TLS servers take only TLS and an ACL user, so those cases pass only
// if the certificate is checked against the CA file and the user logs in.
func TestConnectsToEveryTopology(t *testing.T) {
	tests := []struct {
		name string
		vars func(t *testing.T) redisconf.Vars
	}{
		{"single", func(t *testing.T) redisconf.Vars {
			db, _ := redistest.New(t)
			return redisconf.Vars{URL: "redis://" + redistest.Addr() + "/" + strconv.Itoa(db)}
		}},
		{"sentinel", func(t *testing.T) redisconf.Vars { return redisconf.Vars{URL: redistest.NewSentinel(t, 1).URL()} }},
		{"cluster", func(t *testing.T) redisconf.Vars { return redisconf.Vars{URL: redistest.NewCluster(t).URL()} }},
		{"single over TLS", func(t *testing.T) redisconf.Vars {
			s := redistest.NewTLS(t)
			return redisconf.Vars{URL: s.URL(), TLSCAFile: s.CA.File}
		}},
		{"sentinel over TLS", func(t *testing.T) redisconf.Vars {
			s := redistest.NewTLSSentinel(t, 1)
			return redisconf.Vars{URL: s.URL(), TLSCAFile: s.CA.File}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := redisconf.Resolve(tc.vars(t))
			if err != nil {
				t.Fatal(err)
			}
			rdb, err := s.Client(redisconf.Tuning{})
			if err != nil {
				t.Fatal(err)
			}
			defer rdb.Close()
			opt, err := s.AsynqOpt(redisconf.Tuning{})
			if err != nil {
				t.Fatal(err)
			}
			client := asynq.NewClient(opt)
			defer client.Close()
			info, err := client.Enqueue(asynq.NewTask("probe", []byte(tc.name)), asynq.Queue("probe"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := asynq.NewInspectorFromRedisClient(rdb).GetTaskInfo("probe", info.ID)
			if err != nil || string(got.Payload) != tc.name {
				t.Fatalf("task through the client: %+v, %v", got, err)
			}
			if err := rdb.Ping(context.Background()).Err(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
