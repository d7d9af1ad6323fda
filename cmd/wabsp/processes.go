package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"

	"golang.org/x/sync/errgroup"

	"github.com/wabsp/wabsp/internal/config"
)

// loadConfig reads the environment, then applies the flags that override it.
func loadConfig(name string, args []string, stderr io.Writer) (config.Config, error) {
	cfg, err := config.Load()
	if err != nil {
		return cfg, err
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.HTTPAddr, "addr", cfg.HTTPAddr, "HTTP listen address (WABSP_HTTP_ADDR)")
	fs.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error (WABSP_LOG_LEVEL)")
	fs.IntVar(&cfg.WorkerConcurrency, "concurrency", cfg.WorkerConcurrency, "worker concurrency (WABSP_WORKER_CONCURRENCY)")
	fs.StringVar(&cfg.MetricsAddr, "metrics-addr", cfg.MetricsAddr, "side port for /healthz and /metrics of work and schedule (WABSP_METRICS_ADDR)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("%s: unexpected argument %q", name, fs.Arg(0))
	}
	return cfg, cfg.Validate()
}

// runProcesses runs serve, work, schedule or all three.
func runProcesses(ctx context.Context, role string, args []string, stderr io.Writer) error {
	cfg, err := loadConfig(role, args, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr, role)
	sys, err := openSystem(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer sys.close()
	if role == "all" {
		if err := sys.db.Migrate(ctx, log); err != nil {
			return err
		}
	} else if err := sys.checkMigrated(ctx); err != nil {
		return err
	}
	return sys.runRoles(ctx, role, nil)
}

// runRoles starts the roles named by role on an already open system. ln is
// the API listener; nil means listen on the configured address.
func (s *system) runRoles(ctx context.Context, role string, ln net.Listener) error {
	g, ctx := errgroup.WithContext(ctx)
	api := role == "serve" || role == "all"
	if api {
		if ln == nil {
			var err error
			if ln, err = net.Listen("tcp", s.cfg.HTTPAddr); err != nil {
				return fmt.Errorf("listen %s: %w", s.cfg.HTTPAddr, err)
			}
		}
		g.Go(func() error { return s.runAPI(ctx, ln) })
	}
	if role == "work" || role == "all" {
		applyMemoryLimit(s.cfg.WorkerMemoryLimitMiB, s.log)
		g.Go(func() error { return s.runWorker(ctx) })
	}
	if role == "schedule" || role == "all" {
		g.Go(func() error { return s.runScheduler(ctx) })
	}
	if !api && s.cfg.MetricsAddr != "" {
		g.Go(func() error { return s.runSidePort(ctx, s.cfg.MetricsAddr) })
	}
	return g.Wait()
}

// runMigrate applies pending migrations and exits.
func runMigrate(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, err := loadConfig("migrate", args, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr, "migrate")
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx, log); err != nil {
		return err
	}
	cur, _, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	log.Info("database is current", "schema_version", cur)
	return nil
}
