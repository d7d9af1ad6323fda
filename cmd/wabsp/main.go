// Command wabsp is the whole wabsp backend in one binary: the HTTP API with
// the Meta webhook intake (serve), the asynq workers (work), the periodic
// scheduler (schedule), all three in one process (all), database migrations
// (migrate), API client management (client) and a self-contained demo with
// the Meta simulator (demo).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "wabsp:", err)
		}
		os.Exit(1)
	}
}

const usage = `wabsp — multi-tenant WhatsApp Business backend

Usage: wabsp <command> [flags]

Commands:
  serve      HTTP API and Meta webhook intake
  work       asynq worker (webhook processing, polling, deliveries)
  schedule   periodic task scheduler (run exactly one)
  all        serve + work + schedule in one process (migrates first)
  migrate    apply database migrations and exit
  demo       all + Meta simulator + demo tenants + live traffic
  client     manage API clients (client create --role admin --name ops)
  version    print the version

Configuration comes from WABSP_* environment variables; see README.md.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve", "work", "schedule", "all":
		return runProcesses(ctx, cmd, rest, stderr)
	case "migrate":
		return runMigrate(ctx, rest, stderr)
	case "demo":
		return runDemo(ctx, rest, stdout, stderr)
	case "client":
		return runClient(ctx, rest, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "wabsp", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}
