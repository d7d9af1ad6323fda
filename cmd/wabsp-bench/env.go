package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/wabsp/wabsp/internal/redisconf"
)

// benchEnv is the benchmark's own database and Redis database, and the
// settings every wabsp process of the run shares.
type benchEnv struct {
	o       options
	dir     string
	dbName  string
	dbURL   string
	rdb     redis.UniversalClient
	secret  []byte
	waba    []seededNumber
	baseEnv []string
	lease   *redisLease
	// trafficStart is the time (c)'s first body is stamped with under
	// --lifecycle.
	trafficStart time.Time
}

type seededNumber struct {
	wabaID, phoneNumberID, display string
}

func newBenchEnv(ctx context.Context, o options, dir string) (*benchEnv, error) {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	e := &benchEnv{o: o, dir: dir, dbName: "wabsp_bench_" + hex.EncodeToString(b), secret: []byte("bench-app-secret"),
		trafficStart: time.Now().UTC().Truncate(time.Second)}
	lease, err := leaseRedisDB(ctx, o.redisAddr, o.redisDB)
	if err != nil {
		return nil, err
	}
	admin, err := pgx.Connect(ctx, o.databaseURL)
	if err != nil {
		lease.release()
		return nil, fmt.Errorf("connect %s: %w", o.databaseURL, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+e.dbName); err != nil {
		lease.release()
		return nil, err
	}
	e.lease = lease
	e.dbURL = replaceDatabase(o.databaseURL, e.dbName)
	// The run flushes its database, so it drives a single node only.
	single := redisconf.Settings{Mode: redisconf.Single, Addrs: []string{o.redisAddr}, DB: o.redisDB}
	if e.rdb, err = single.Client(redisconf.Tuning{}); err != nil {
		return nil, fmt.Errorf("-redis-addr: %w", err)
	}
	if err := e.rdb.FlushDB(ctx).Err(); err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	e.baseEnv = []string{
		"WABSP_DATABASE_URL=" + e.dbURL,
		"WABSP_REDIS_ADDR=" + o.redisAddr,
		"WABSP_REDIS_DB=" + strconv.Itoa(o.redisDB),
		"WABSP_JWT_KEYS=bench:" + randomKey(32),
		"WABSP_META_APP_SECRETS=bench-app:" + string(e.secret),
		"WABSP_META_VERIFY_TOKEN=bench",
		"WABSP_LOG_LEVEL=warn",
		"WABSP_RATE_LIMIT=100000",
	}
	for i := range o.tenants {
		e.waba = append(e.waba, seededNumber{
			wabaID:        strconv.Itoa(900000000 + i),
			phoneNumberID: strconv.Itoa(800000000 + i),
			display:       fmt.Sprintf("+1555000%04d", i),
		})
	}
	return e, nil
}

func replaceDatabase(url, name string) string {
	i := strings.LastIndex(url, "/")
	q := ""
	if j := strings.Index(url[i:], "?"); j >= 0 {
		q = url[i+j:]
	}
	return url[:i+1] + name + q
}

func (e *benchEnv) close() {
	e.rdb.FlushDB(context.Background())
	e.rdb.Close()
	e.lease.release()
	c, err := pgx.Connect(context.Background(), e.o.databaseURL)
	if err != nil {
		return
	}
	defer c.Close(context.Background())
	_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+e.dbName+" WITH (FORCE)")
}

// migrateAndSeed runs `wabsp migrate` and inserts the tenants whose numbers
// the traffic names.
func (e *benchEnv) migrateAndSeed(ctx context.Context, bin string) error {
	cmd := exec.CommandContext(ctx, bin, "migrate")
	cmd.Env = append(os.Environ(), e.baseEnv...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("migrate: %v\n%s", err, out)
	}
	conn, err := pgx.Connect(ctx, e.dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for i, n := range e.waba {
		tenant, waba := uuid.New(), uuid.New()
		_, err := conn.Exec(ctx, `
			WITH t AS (INSERT INTO tenants (id, name, slug) VALUES ($1, $2, $3)),
			     w AS (INSERT INTO wabas (id, tenant_id, waba_id) VALUES ($4, $1, $5))
			INSERT INTO phone_numbers (id, tenant_id, waba_ref, phone_number_id, display_phone_number)
			VALUES ($6, $1, $4, $7, $8)`,
			tenant, fmt.Sprintf("Bench tenant %d", i), fmt.Sprintf("bench-%d", i), waba, n.wabaID, uuid.New(), n.phoneNumberID, n.display)
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	return nil
}

// startWabsp starts one wabsp role listening on a fresh address, logging
// to name.log.
func (e *benchEnv) startWabsp(bin, role, name string, extra ...string) (*process, string, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	env := append(append([]string{}, e.baseEnv...), "WABSP_HTTP_ADDR="+addr)
	env = append(env, extra...)
	p, err := startProcess(bin, env, filepath.Join(e.dir, name+".log"), role)
	return p, addr, err
}

func (e *benchEnv) countStatuses(ctx context.Context, conn *pgx.Conn) (int64, error) {
	var n int64
	err := conn.QueryRow(ctx, `SELECT count(*) FROM message_statuses`).Scan(&n)
	return n, err
}

func waitFor(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
