package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/pgtest"
)

// TestFaultsLoseNothingAndCountNothingTwice sends a status stream with 10%
// duplicates and reordering through the Meta simulator to real `wabsp serve`
// and `wabsp work` processes, kills the worker with SIGKILL mid-stream and
// restarts it, and kills Redis (AOF on, as in production) for a while so the
// intake answers 503 and the simulator retries like Meta. Afterwards every
// unique (wamid, status) must be in Postgres exactly once.
//
// Asynq hands a killed worker's in-flight tasks back only after their lease
// has been expired for 30 s, so this test takes a minute or two.
func TestFaultsLoseNothingAndCountNothingTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test runs processes for a minute or more")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	db, dbURL := pgtest.NewWithURL(t)
	ctx := context.Background()
	number := metasim.Number{WABAID: "731000000001", PhoneNumberID: "732000000001", Display: "15557310001"}
	tenant := seedStreamTenant(t, db, number)

	redisSrv := startRedis(t, dir)
	secret := []byte("fault-app-secret")
	apiAddr := freePort(t)
	env := []string{
		"WABSP_DATABASE_URL=" + dbURL,
		"WABSP_REDIS_ADDR=" + redisSrv.addr,
		"WABSP_HTTP_ADDR=" + apiAddr,
		"WABSP_JWT_KEYS=fault:" + "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
		"WABSP_META_APP_SECRETS=fault-app:" + string(secret),
		"WABSP_META_VERIFY_TOKEN=fault",
		"WABSP_LOG_LEVEL=warn",
		"WABSP_SHUTDOWN_TIMEOUT=2s",
	}
	api := startChild(t, bin, env, filepath.Join(dir, "api.log"), "serve")
	defer api.kill()
	worker := startChild(t, bin, env, filepath.Join(dir, "worker-1.log"), "work")
	defer func() { worker.kill() }()
	waitReady(t, "http://"+apiAddr+"/healthz")

	plan, err := metasim.StatusStream(metasim.StatusStreamOptions{
		Numbers: []metasim.Number{number}, Messages: 1500, BatchSize: 4,
		DuplicateFraction: 0.10, ReorderFraction: 0.10, Seed: 20261121,
		Start: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC), Pace: 4 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	em := metasim.NewEmitter("http://"+apiAddr+"/webhooks/meta", secret, &http.Client{Timeout: 5 * time.Second},
		metasim.WithBackoff(50*time.Millisecond, time.Second), metasim.WithGiveUpAfter(2*time.Minute))
	runner := metasim.NewRunner(em, metasim.WithConcurrency(8), metasim.WithPacing(1))

	done := make(chan error, 1)
	go func() { _, err := runner.Run(ctx, plan.Scenario); done <- err }()

	// Chaos, keyed to progress so it lands mid-stream on any machine.
	waitBodies(t, em, int64(plan.Bodies)/4)
	worker.kill()
	t.Log("worker killed with SIGKILL")
	time.Sleep(500 * time.Millisecond)
	worker = startChild(t, bin, env, filepath.Join(dir, "worker-2.log"), "work")
	waitBodies(t, em, int64(plan.Bodies)/2)
	redisSrv.kill(t)
	t.Log("redis killed with SIGKILL")
	time.Sleep(2 * time.Second)
	redisSrv.restart(t)
	t.Log("redis restarted from its append-only file")

	if err := <-done; err != nil {
		t.Fatalf("stream: %v", err)
	}
	st := em.Stats()
	t.Logf("emitter: %d bodies, %d attempts, %d retried, non-200: %v, transport errors: %d", st.Sent, st.Attempts, st.Retried, st.Non200, st.TransportErrors)
	if st.GaveUp > 0 {
		t.Fatalf("simulator gave up on %d bodies", st.GaveUp)
	}
	if st.Retried == 0 {
		t.Fatal("no body was retried: the Redis outage did not reach the intake")
	}

	checkStatusesOnce(t, db, tenant, plan.Unique)
}

func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "wabsp")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type child struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

func startChild(t *testing.T, bin string, env []string, logPath string, args ...string) *child {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(c.exited) }()
	t.Cleanup(func() {
		c.kill()
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("%s:\n%s", filepath.Base(logPath), tail(b, 4000))
			}
		}
	})
	return c
}

func (c *child) kill() {
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.exited
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// redisServer is a private redis-server with AOF on, so killing it loses
// nothing that was acknowledged.
type redisServer struct {
	addr, dir string
	port      int
	proc      *child
}

func startRedis(t *testing.T, dir string) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server is not installed")
	}
	addr := freePort(t)
	_, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)
	r := &redisServer{addr: addr, dir: filepath.Join(dir, "redis"), port: port}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r.restart(t)
	return r
}

func (r *redisServer) restart(t *testing.T) {
	t.Helper()
	r.proc = startChild(t, "redis-server", nil, filepath.Join(r.dir, fmt.Sprintf("redis-%d.log", time.Now().UnixNano())),
		"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--dir", r.dir,
		"--appendonly", "yes", "--appendfsync", "everysec", "--save", "")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", r.addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("redis-server did not start")
}

func (r *redisServer) kill(t *testing.T) { r.proc.kill() }

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitReady(t testing.TB, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s not ready", url)
}

func waitBodies(t *testing.T, em *metasim.Emitter, n int64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for em.Stats().Acknowledged < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d bodies acknowledged, waited for %d", em.Stats().Acknowledged, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// seedStreamTenant creates a tenant owning number, for a status stream.
func seedStreamTenant(t *testing.T, db *pg.DB, number metasim.Number) uuid.UUID {
	t.Helper()
	tenant, waba := uuid.New(), uuid.New()
	if _, err := db.Exec(context.Background(), `
		WITH t AS (INSERT INTO tenants (id, name, slug) VALUES ($1, 'Stream test', 'stream-test')),
		     w AS (INSERT INTO wabas (id, tenant_id, waba_id) VALUES ($2, $1, $3))
		INSERT INTO phone_numbers (id, tenant_id, waba_ref, phone_number_id, display_phone_number)
		VALUES ($4, $1, $2, $5, $6)`,
		tenant, waba, number.WABAID, uuid.New(), number.PhoneNumberID, "+"+number.Display); err != nil {
		t.Fatal(err)
	}
	return tenant
}

// checkStatusesOnce waits up to four minutes for the tenant's status rows
// and fails unless each unique status is stored exactly once.
func checkStatusesOnce(t *testing.T, db *pg.DB, tenant uuid.UUID, unique []metasim.StatusKey) {
	t.Helper()
	ctx := context.Background()
	want := len(unique)
	deadline := time.Now().Add(4 * time.Minute)
	var got int
	for time.Now().Before(deadline) {
		if err := db.QueryRow(ctx, `SELECT count(*) FROM message_statuses WHERE tenant_id = $1`, tenant).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got >= want {
			break
		}
		time.Sleep(time.Second)
	}
	if got != want {
		t.Fatalf("%d status rows, want %d unique statuses", got, want)
	}
	rows, err := db.Query(ctx, `SELECT wamid, status FROM message_statuses WHERE tenant_id = $1`, tenant)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[metasim.StatusKey]int{}
	for rows.Next() {
		var k metasim.StatusKey
		if err := rows.Scan(&k.WAMID, &k.Status); err != nil {
			t.Fatal(err)
		}
		stored[k]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, k := range unique {
		if stored[k] != 1 {
			t.Errorf("%s %s stored %d times, want once", k.WAMID, k.Status, stored[k])
		}
	}
}
