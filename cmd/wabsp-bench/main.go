// Command wabsp-bench measures the Meta webhook intake on this machine, in one
// run, against the targets the project holds itself to:
//
//	(a) ceiling: a bare Fiber handler answering 200 to the same signed body
//	    over the same client;
//	(b) intake:  `wabsp serve` verifying, group-committing to Redis and
//	    answering 200 (req/s, p50, p99, and the ratio to the ceiling);
//	(c) end to end: status events per second from the POST to their rows in
//	    PostgreSQL, with `wabsp serve` and `wabsp work` running, sustained,
//	    and, reported by interval, each work process's resident set and how
//	    far the rows and the asynq queues are behind the accepted statuses.
//
// Each server runs as its own process; the load generator is this process.
// (c) can run several serve and work processes and the schedule process,
// as a scaled-out deployment does, which makes it a soak test:
//
//	go run ./cmd/wabsp-bench --skip ceiling,intake --e2e-duration 10m --e2e-rate 5000 \
//	    --serve-procs 2 --work-procs 2 --schedule
//
// By default every status of (c) is a new message's "sent", the worst case
// for inserts; --lifecycle sends each message's delivered and read after
// it, as Meta does, so that most statuses rewrite stored rows.
//
// It needs the local PostgreSQL and Redis; it creates and drops its own
// database and flushes the Redis database it is given, once it holds the
// lease the test suites take on it (internal/redistest).
package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
)

type options struct {
	databaseURL   string
	redisAddr     string
	redisDB       int
	conc          int
	rounds        int
	intakeFor     time.Duration
	e2eFor        time.Duration
	e2eRate       float64
	e2eConc       int
	perBody       int
	tenants       int
	workerConc    int
	skip          string
	keepArtifacts bool
	serveProcs    int
	workProcs     int
	schedule      bool
	interval      time.Duration
	lifecycle     bool
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "-ceiling-server" {
		if err := serveCeiling(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.StringVar(&o.databaseURL, "database-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "server to create the benchmark database on")
	flag.StringVar(&o.redisAddr, "redis-addr", "127.0.0.1:6379", "Redis server")
	flag.IntVar(&o.redisDB, "redis-db", 13, "Redis logical database to use (it is flushed)")
	flag.IntVar(&o.conc, "c", 64, "concurrent connections for (a) and (b)")
	flag.DurationVar(&o.intakeFor, "intake-duration", 10*time.Second, "duration of (a) and (b) each, split over the rounds")
	flag.IntVar(&o.rounds, "rounds", 5, "rounds of (a) then (b), so that both see the same machine")
	flag.DurationVar(&o.e2eFor, "e2e-duration", 60*time.Second, "duration of (c)")
	flag.Float64Var(&o.e2eRate, "e2e-rate", 18000, "status events per second offered in (c)")
	flag.IntVar(&o.e2eConc, "e2e-c", 32, "concurrent connections for (c)")
	flag.IntVar(&o.perBody, "statuses-per-body", 50, "statuses per webhook body in (c); Meta batches up to 1000")
	flag.IntVar(&o.tenants, "tenants", 4, "tenants the (c) traffic is spread over")
	flag.IntVar(&o.workerConc, "worker-concurrency", 8, "WABSP_WORKER_CONCURRENCY of the worker in (c)")
	flag.StringVar(&o.skip, "skip", "", "comma-separated parts to skip: ceiling,intake,e2e")
	flag.BoolVar(&o.keepArtifacts, "keep", false, "keep the work directory with the processes' logs")
	flag.IntVar(&o.serveProcs, "serve-procs", 1, "wabsp serve processes in (c), each on its own port; the connections are spread over them")
	flag.IntVar(&o.workProcs, "work-procs", 1, "wabsp work processes in (c), each with -worker-concurrency")
	flag.BoolVar(&o.schedule, "schedule", false, "also run the one wabsp schedule process in (c)")
	flag.DurationVar(&o.interval, "interval", 0, "reporting interval of (c)'s RSS and lag figures (0: a minute for runs of 5m or more, else a sixth of the run)")
	flag.BoolVar(&o.lifecycle, "lifecycle", false, "in (c), follow each message's sent with its delivered 1 s and its read 10 s of traffic later, so two statuses in three rewrite stored rows (default: every status a new message's sent)")
	flag.Usage = usage
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "wabsp-bench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(flag.CommandLine.Output(), `Usage: wabsp-bench [flags]

Measures (a) a bare Fiber ceiling, (b) the wabsp webhook intake and (c) status
events end to end into PostgreSQL, and prints the results as Markdown.

  make bench    all three, one serve and one work process
  make soak     (c) only, 10 minutes at 5,000 status events/s with 2 serve,
                2 work and 1 schedule process:

    go run ./cmd/wabsp-bench --skip ceiling,intake --e2e-duration 10m --e2e-rate 5000 \
        --serve-procs 2 --work-procs 2 --schedule

(c) sends every status as a new message's "sent" unless --lifecycle is given,
which follows each sent with its delivered and read, as Meta reports messages.

(c) reports by interval each work process's RSS (peak / mean), how far the
rows are behind the accepted statuses (events and seconds of traffic) and the
asynq queues' latency, pending and size, then two verdicts: RSS flat (every
work process's peak in the last interval under load at most 1.25x its peak in
the second) and lag bounded (at most 7 s of traffic at any sample, and the last
interval's peak at most 1 s of traffic above the second's).

Flags:
`)
	flag.PrintDefaults()
}

// serveCeiling is (a): the least any Fiber webhook endpoint could do.
func serveCeiling(addr string) error {
	app := fiber.New(fiber.Config{DisableStartupMessage: true, BodyLimit: 4 << 20})
	app.Post("/webhooks/meta", func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusOK) })
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusOK) })
	return app.Listen(addr)
}

func run(ctx context.Context, o options, out io.Writer) error {
	dir, err := os.MkdirTemp("", "wabsp-bench-")
	if err != nil {
		return err
	}
	if o.keepArtifacts {
		fmt.Fprintln(os.Stderr, "logs in", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	bin, err := buildWabsp(ctx, dir)
	if err != nil {
		return err
	}
	env, err := newBenchEnv(ctx, o, dir)
	if err != nil {
		return err
	}
	defer env.close()

	skip := func(part string) bool { return strings.Contains(","+o.skip+",", ","+part+",") }
	rep := report{machine: machine(), opts: o}
	if !skip("ceiling") || !skip("intake") {
		if rep.ceiling, rep.intake, rep.rounds, err = env.measureIntakeAndCeiling(ctx, bin, !skip("ceiling"), !skip("intake")); err != nil {
			return err
		}
	}
	if !skip("e2e") {
		if rep.e2e, err = env.measureEndToEnd(ctx, bin); err != nil {
			return err
		}
	}
	rep.write(out)
	return nil
}

// startCeiling starts (a), the least any Fiber webhook endpoint could do,
// as its own process.
func startCeiling(dir string) (*process, string, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	p, err := startProcess(self, nil, filepath.Join(dir, "ceiling.log"), "-ceiling-server", addr)
	if err != nil {
		return nil, "", err
	}
	if err := waitHTTP("http://"+addr+"/healthz", 10*time.Second); err != nil {
		p.stop()
		return nil, "", err
	}
	return p, addr, nil
}

// signedBody is one body with its Meta signature.
type signedBody struct {
	raw []byte
	sig string
}

func (b signedBody) source(int64) ([]byte, string) { return b.raw, b.sig }

func sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func randomKey(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%d cores (%s), %s %s/%s", runtime.NumCPU(), cpu, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
