package httpapi

import (
	"errors"
	"log/slog"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

// queueCollector reports asynq's queues from Redis at every scrape. It
// replaces github.com/hibiken/asynq/x/metrics, an untagged module which
// left aggregating tasks (the per-tenant apply groups) out of the counts by
// state, named two gauges as counters, wrote its failures to the standard
// logger as plain text among the JSON lines, and dropped every queue when
// one of them vanished between listing and reading it.
//
// A queue deleted mid-scrape is skipped; a Redis failure sets
// asynq_queue_metrics_up to 0 instead of failing the scrape, so the
// process's other series are still collected.
type queueCollector struct {
	inspector *asynq.Inspector
	log       *slog.Logger
}

var (
	queueTasksDesc = prometheus.NewDesc("asynq_tasks",
		"Tasks in a queue by state (pending, active, scheduled, retry, archived, completed, aggregating).",
		[]string{"queue", "state"}, nil)
	queueSizeDesc = prometheus.NewDesc("asynq_queue_size",
		"Tasks in a queue, every state but completed.", []string{"queue"}, nil)
	queueLatencyDesc = prometheus.NewDesc("asynq_queue_latency_seconds",
		"How long the oldest pending task of a queue has waited.", []string{"queue"}, nil)
	queueMemoryDesc = prometheus.NewDesc("asynq_queue_memory_usage_approx_bytes",
		"Redis memory a queue takes, estimated by sampling.", []string{"queue"}, nil)
	queueProcessedDesc = prometheus.NewDesc("asynq_tasks_processed_total",
		"Tasks processed from a queue, succeeded or failed.", []string{"queue"}, nil)
	queueFailedDesc = prometheus.NewDesc("asynq_tasks_failed_total",
		"Tasks of a queue whose handler failed.", []string{"queue"}, nil)
	queuePausedDesc = prometheus.NewDesc("asynq_queue_paused",
		"1 when a queue is paused.", []string{"queue"}, nil)
	queueUpDesc = prometheus.NewDesc("asynq_queue_metrics_up",
		"1 when the queue metrics could be read from Redis at this scrape.", nil, nil)
)

func newQueueCollector(inspector *asynq.Inspector, log *slog.Logger) *queueCollector {
	return &queueCollector{inspector: inspector, log: log}
}

// Describe sends every descriptor, so the registry checks each collected
// metric against them.
func (q *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{queueTasksDesc, queueSizeDesc, queueLatencyDesc, queueMemoryDesc,
		queueProcessedDesc, queueFailedDesc, queuePausedDesc, queueUpDesc} {
		ch <- d
	}
}

func (q *queueCollector) Collect(ch chan<- prometheus.Metric) {
	infos, err := q.read()
	up := 1.0
	if err != nil {
		up = 0
		q.log.Warn("asynq queue metrics unavailable", "err", err.Error())
	}
	ch <- prometheus.MustNewConstMetric(queueUpDesc, prometheus.GaugeValue, up)
	for _, info := range infos {
		collectQueue(ch, info)
	}
}

// read returns every queue's info, or none when Redis fails: a partial set
// would look like queues emptied.
func (q *queueCollector) read() ([]*asynq.QueueInfo, error) {
	names, err := q.inspector.Queues()
	if err != nil {
		return nil, err
	}
	infos := make([]*asynq.QueueInfo, 0, len(names))
	for _, name := range names {
		info, err := q.inspector.GetQueueInfo(name)
		if errors.Is(err, asynq.ErrQueueNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		infos = append(infos, info)
	}
	return infos, nil
}

func collectQueue(ch chan<- prometheus.Metric, info *asynq.QueueInfo) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, info.Queue)
	}
	for _, s := range []struct {
		state string
		n     int
	}{
		{"pending", info.Pending}, {"active", info.Active}, {"scheduled", info.Scheduled},
		{"retry", info.Retry}, {"archived", info.Archived}, {"completed", info.Completed},
		{"aggregating", info.Aggregating},
	} {
		gauge(queueTasksDesc, float64(s.n), info.Queue, s.state)
	}
	gauge(queueSizeDesc, float64(info.Size), info.Queue)
	gauge(queueLatencyDesc, info.Latency.Seconds(), info.Queue)
	gauge(queueMemoryDesc, float64(info.MemoryUsage), info.Queue)
	counter(queueProcessedDesc, float64(info.ProcessedTotal))
	counter(queueFailedDesc, float64(info.FailedTotal))
	paused := 0.0
	if info.Paused {
		paused = 1
	}
	gauge(queuePausedDesc, paused, info.Queue)
}
