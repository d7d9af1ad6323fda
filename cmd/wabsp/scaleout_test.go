package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/internal/redistest"
)

// TestScaleOutLosesNothingOnClusterAndSentinel runs 2 serve, 2 work and 1
// schedule processes against a Redis Cluster and against a Sentinel set,
// sends a status stream with 10% duplicates and reordering through both
// APIs, SIGKILLs one worker mid-stream and, with Sentinel, the Redis
// master too: the intake answers 503 while the sentinels fail over and the
// simulator retries like Meta. Every unique (wamid, status) must end up in
// Postgres exactly once.
//
// The killed worker's tasks come back only once their 30 s asynq lease
// has expired, so a case takes from 15 s to about two minutes.
func TestScaleOutLosesNothingOnClusterAndSentinel(t *testing.T) {
	if testing.Short() {
		t.Skip("scale-out test runs processes for a minute or more per topology")
	}
	bin := buildBinary(t, t.TempDir())
	tests := []struct {
		name  string
		start func(t *testing.T) topology
	}{
		{"cluster", func(t *testing.T) topology {
			c := redistest.NewCluster(t)
			return topology{env: []string{"WABSP_REDIS_URL=" + c.URL()}}
		}},
		{"sentinel", func(t *testing.T) topology {
			// Two replicas: after the failover one is left to confirm
			// each intake write (WABSP_REDIS_WAIT_REPLICAS=1).
			s := redistest.NewSentinel(t, 2)
			return topology{
				env:      []string{"WABSP_REDIS_URL=" + s.URL(), "WABSP_REDIS_WAIT_REPLICAS=1"},
				midway:   func() { s.Master.Kill() },
				disrupts: true,
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runScaleOut(t, bin, tc.start(t)) })
	}
}

// topology is how the processes reach Redis and what happens to it
// halfway through the stream.
type topology struct {
	env []string
	// midway, when set, runs once half the stream is acknowledged.
	midway func()
	// disrupts says midway makes the intake refuse for a while.
	disrupts bool
}

func runScaleOut(t *testing.T, bin string, top topology) {
	dir := t.TempDir()
	db, dbURL := pgtest.NewWithURL(t)
	number := metasim.Number{WABAID: "741000000001", PhoneNumberID: "742000000001", Display: "15557410001"}
	tenant := seedStreamTenant(t, db, number)
	secret := []byte("scale-app-secret")
	env := append([]string{
		"WABSP_DATABASE_URL=" + dbURL,
		"WABSP_JWT_KEYS=scale:" + "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
		"WABSP_META_APP_SECRETS=scale-app:" + string(secret),
		"WABSP_META_VERIFY_TOKEN=scale",
		"WABSP_LOG_LEVEL=warn",
		"WABSP_SHUTDOWN_TIMEOUT=2s",
	}, top.env...)
	var apis []string
	for i := range 2 {
		addr := freePort(t)
		apis = append(apis, addr)
		startChild(t, bin, append(env, "WABSP_HTTP_ADDR="+addr), filepath.Join(dir, fmt.Sprintf("serve-%d.log", i)), "serve")
	}
	var workers []*child
	for i := range 2 {
		workers = append(workers, startChild(t, bin, env, filepath.Join(dir, fmt.Sprintf("work-%d.log", i)), "work"))
	}
	startChild(t, bin, env, filepath.Join(dir, "schedule.log"), "schedule")
	for _, a := range apis {
		waitReady(t, "http://"+a+"/healthz")
	}

	plan, err := metasim.StatusStream(metasim.StatusStreamOptions{
		Numbers: []metasim.Number{number}, Messages: 1000, BatchSize: 4,
		DuplicateFraction: 0.10, ReorderFraction: 0.10, Seed: 20261207,
		Start: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), Pace: 4 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &roundRobin{hosts: apis, next: http.DefaultTransport}}
	em := metasim.NewEmitter("http://"+apis[0]+"/webhooks/meta", secret, client,
		metasim.WithBackoff(50*time.Millisecond, time.Second), metasim.WithGiveUpAfter(2*time.Minute))
	runner := metasim.NewRunner(em, metasim.WithConcurrency(8), metasim.WithPacing(1))
	done := make(chan error, 1)
	go func() { _, err := runner.Run(context.Background(), plan.Scenario); done <- err }()

	waitBodies(t, em, int64(plan.Bodies)/4)
	workers[0].kill()
	t.Log("worker 0 killed with SIGKILL")
	waitBodies(t, em, int64(plan.Bodies)/2)
	if top.midway != nil {
		top.midway()
		t.Log("redis master killed")
	}
	if err := <-done; err != nil {
		t.Fatalf("stream: %v", err)
	}
	st := em.Stats()
	t.Logf("emitter: %d bodies, %d attempts, %d retried, non-200: %v, transport errors: %d", st.Sent, st.Attempts, st.Retried, st.Non200, st.TransportErrors)
	if st.GaveUp > 0 {
		t.Fatalf("simulator gave up on %d bodies", st.GaveUp)
	}
	if top.disrupts && st.Retried == 0 {
		t.Fatal("no body was retried: the failover did not reach the intake")
	}
	streamed := time.Now()
	checkStatusesOnce(t, db, tenant, plan.Unique)
	t.Logf("every status stored %s after the stream ended", time.Since(streamed).Round(time.Millisecond))
}

// roundRobin spreads requests over the API processes, as a load balancer
// in front of them would.
type roundRobin struct {
	hosts []string
	n     atomic.Uint64
	next  http.RoundTripper
}

func (r *roundRobin) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Host = r.hosts[r.n.Add(1)%uint64(len(r.hosts))]
	req.Host = ""
	return r.next.RoundTrip(req)
}
