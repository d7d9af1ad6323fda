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
// option from a URL for each deployment and checks both reach it: a task
// enqueued through the asynq option is seen through the client.
func TestConnectsToEveryTopology(t *testing.T) {
	tests := []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"single", func(t *testing.T) string {
			db, _ := redistest.New(t)
			return "redis://" + redistest.Addr() + "/" + strconv.Itoa(db)
		}},
		{"sentinel", func(t *testing.T) string { return redistest.NewSentinel(t, 1).URL() }},
		{"cluster", func(t *testing.T) string { return redistest.NewCluster(t).URL() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := redisconf.Parse(tc.url(t))
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
