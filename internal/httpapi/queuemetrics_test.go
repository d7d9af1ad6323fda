package httpapi

import (
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabsp/wabsp/internal/redistest"
)

// TestQueueCollectorCountsEveryState gathers the queue metrics from a real
// Redis holding a pending, a scheduled and an aggregating task, and with
// Redis gone: the scrape must still succeed, saying the queues are unknown.
func TestQueueCollectorCountsEveryState(t *testing.T) {
	_, rdb := redistest.New(t)
	client := asynq.NewClientFromRedisClient(rdb)
	for _, opts := range [][]asynq.Option{
		{asynq.Queue("intake")},
		{asynq.Queue("intake"), asynq.ProcessIn(time.Hour)},
		{asynq.Queue("apply"), asynq.Group("tenant-a")},
	} {
		if _, err := client.Enqueue(asynq.NewTask("test:task", nil), opts...); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	c := newQueueCollector(asynq.NewInspectorFromRedisClient(rdb), slog.New(slog.DiscardHandler))
	reg.MustRegister(c)

	tests := []struct {
		name, queue, state string
		want               float64
	}{
		{"pending", "intake", "pending", 1},
		{"scheduled", "intake", "scheduled", 1},
		{"aggregating", "apply", "aggregating", 1},
		{"none active", "intake", "active", 0},
	}
	got := gauges(t, reg, "asynq_tasks")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, got[tt.queue+"/"+tt.state]); diff != "" {
				t.Errorf("asynq_tasks{queue=%q,state=%q} (-want +got):\n%s", tt.queue, tt.state, diff)
			}
		})
	}
	if up := gauges(t, reg, "asynq_queue_metrics_up")[""]; up != 1 {
		t.Errorf("asynq_queue_metrics_up = %v, want 1", up)
	}
	rdb.Close()
	if up := gauges(t, reg, "asynq_queue_metrics_up")[""]; up != 0 {
		t.Errorf("with Redis closed: asynq_queue_metrics_up = %v, want 0", up)
	}
}

// gauges gathers reg, which must succeed, and returns the gauge name's
// values by "queue/state" (empty for unlabelled).
func gauges(t *testing.T, reg *prometheus.Registry, name string) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	got := map[string]float64{}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			key := labels["queue"] + "/" + labels["state"]
			if len(labels) == 0 {
				key = ""
			}
			got[key] = m.GetGauge().GetValue()
		}
	}
	return got
}
