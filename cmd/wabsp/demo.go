package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"github.com/google/uuid"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/config"
	"github.com/wabsp/wabsp/internal/metasim"
)

// runDemo runs everything in one process against the local PostgreSQL and
// Redis, with the Meta simulator standing in for Meta: it seeds demo tenants,
// prints credentials and curl lines, and plays live webhook traffic.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig("demo", args, stderr)
	if err != nil {
		return err
	}
	demoDefaults(&cfg)
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(cfg, stderr, "demo")
	if err := ensureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen %s (set WABSP_HTTP_ADDR or --addr to use another port): %w", cfg.HTTPAddr, err)
	}
	return serveDemo(ctx, cfg, log, ln, stdout, demoLive)
}

// demoPace is how the demo's traffic is played.
type demoPace struct {
	// now dates the events; nil for the clock.
	now func() time.Time
	// factor scales the events' delays: 1 plays them in real time, 0 as
	// fast as wabsp takes them.
	factor float64
}

// demoLive plays the traffic for a person watching.
var demoLive = demoPace{factor: 1}

// serveDemo is the demo on ln once its configuration is settled: the
// simulator, the seeding, the welcome text, the traffic and every role.
func serveDemo(ctx context.Context, cfg config.Config, log *slog.Logger, ln net.Listener, stdout io.Writer, pace demoPace) error {
	app, _ := cfg.EmbeddedSignupApp()
	graph := metasim.NewGraph(metasim.WithApp(metasim.App{ID: app.ID, Name: "wabsp demo", Link: "https://wabsp.example.com/"}))
	graphSrv := &http.Server{Handler: graph, ReadHeaderTimeout: 5 * time.Second}
	graphLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go graphSrv.Serve(graphLn) //nolint:errcheck // closed on return
	defer graphSrv.Close()
	cfg.GraphBaseURL = "http://" + graphLn.Addr().String()

	sys, err := openSystem(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer sys.close()
	if err := sys.db.Migrate(ctx, log); err != nil {
		return err
	}
	seeded, err := seedDemo(ctx, sys.tenants, graph)
	if err != nil {
		return fmt.Errorf("seed demo tenants: %w", err)
	}
	experiment, err := seedDemoInsights(ctx, sys.insights, uuid.MustParse(seeded.tenantID))
	if err != nil {
		return fmt.Errorf("seed demo insights: %w", err)
	}
	// Rate cards first: a plan is priced against them.
	if err := sys.billing.Seed(ctx); err != nil {
		return err
	}
	if err := seedDemoPlans(ctx, sys.billing, seeded.tenantIDs); err != nil {
		return fmt.Errorf("seed demo plans: %w", err)
	}
	base := "http://" + hostPort(ln.Addr().String())
	printWelcome(stdout, base, seeded)
	signup, err := demoSignup(ctx, sys, graph, uuid.MustParse(seeded.tenantID))
	if err != nil {
		return fmt.Errorf("demo Embedded Signup: %w", err)
	}
	printSignup(stdout, base, seeded.tenantID, signup)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	receiver, err := startDemoReceiver(ctx)
	if err != nil {
		return err
	}
	if err := seedDemoSubscription(ctx, log, sys.outbound, uuid.MustParse(seeded.tenantID), receiver); err != nil {
		return fmt.Errorf("demo outbound subscription: %w", err)
	}
	labels := demoVariants(ctx, log, sys.insights, uuid.MustParse(seeded.tenantID), seeded.experimentWABAs, experiment)
	go playDemoTraffic(ctx, log, cfg, base, seeded, graph, labels, pace)
	return sys.runRoles(ctx, "all", ln)
}

// demoDefaults fills in what a newcomer has not configured. The demo keys
// are derived from fixed labels so restarts keep decrypting what earlier
// runs stored; they are public and for the demo only.
func demoDefaults(cfg *config.Config) {
	cfg.Dev = true
	derive := func(label string) string {
		sum := sha256.Sum256([]byte("wabsp demo only: " + label))
		return base64.StdEncoding.EncodeToString(sum[:])
	}
	if cfg.JWTKeys == "" {
		cfg.JWTKeys, cfg.JWTSigningKey = "demo-1:"+derive("jwt"), "demo-1"
	}
	if cfg.EncryptionKeys == "" {
		cfg.EncryptionKeys, cfg.EncryptionKeyID = "demo-1:"+derive("aes"), "demo-1"
	}
	if cfg.MetaAppSecrets == "" {
		sum := sha256.Sum256([]byte("wabsp demo only: app secret"))
		cfg.MetaAppSecrets = "demo-app:" + hex.EncodeToString(sum[:16])
	}
	if cfg.MetaVerifyToken == "" {
		cfg.MetaVerifyToken = "wabsp-demo"
	}
	// Meta sends no webhook when a number moves between GREEN and YELLOW;
	// only polls see it, so the demo polls the simulator often.
	if os.Getenv("WABSP_POLL_NUMBERS_EVERY") == "" {
		cfg.PollNumbersEvery = 2 * time.Minute
	}
	if os.Getenv("WABSP_POLL_TEMPLATES_EVERY") == "" {
		cfg.PollTemplatesEvery = 5 * time.Minute
	}
	// Demo subscriptions may point at a receiver on this machine.
	if cfg.WebhookAllowPrivate == "" {
		cfg.WebhookAllowPrivate = "127.0.0.0/8,::1/128"
	}
}

// ensureDatabase creates the configured database when it does not exist, so
// the demo runs against a fresh local PostgreSQL with no set-up.
func ensureDatabase(ctx context.Context, url string) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("WABSP_DATABASE_URL: %w", err)
	}
	name := cfg.Database
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL at %s:%d: %w", cfg.Host, cfg.Port, err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}

func hostPort(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || host == "::" || host == "0.0.0.0" {
		return "localhost:" + port
	}
	return net.JoinHostPort(host, port)
}

// demoSeed is what the demo created, for the welcome text and the traffic.
type demoSeed struct {
	admin, partner, tenant credentials
	tenantID               string
	tenantIDs              []uuid.UUID // in demoTenants' order
	// experimentWABAs are the WABAs of tenantID, whose sends the demo
	// experiment labels.
	experimentWABAs []string
	numbers         []metasim.Number
	templates       []metasim.TemplateRef
	consoleLogins   []consoleLogin
}

type credentials struct{ id, secret string }

func (c credentials) ok() bool { return c.id != "" }

// isConflict tells an already-seeded row from a real failure, so the demo can
// be started again on the same database.
func isConflict(err error) bool { return apperr.Is(err, apperr.Conflict) }

func printWelcome(w io.Writer, base string, s demoSeed) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nwabsp demo is running at %s (docs: %s/docs)\n\n", base, base)
	fmt.Fprintf(&b, "Admin client (sees every tenant):\n  client_id:     %s\n  client_secret: %s\n", s.admin.id, s.admin.secret)
	if s.partner.ok() {
		fmt.Fprintf(&b, "Partner client (two of the three tenants):\n  client_id:     %s\n  client_secret: %s\n", s.partner.id, s.partner.secret)
	}
	if s.tenant.ok() {
		fmt.Fprintf(&b, "Tenant client (Acme Retail only):\n  client_id:     %s\n  client_secret: %s\n", s.tenant.id, s.tenant.secret)
	}
	fmt.Fprintln(&b)
	printConsoleLogins(&b, base, s.consoleLogins)
	fmt.Fprintf(&b, "Get a token and list tenants:\n\n")
	fmt.Fprintf(&b, "  TOKEN=$(curl -s -X POST %s/v1/oauth/token -d grant_type=client_credentials -d client_id=%s -d client_secret=%s | sed -E 's/.*\"access_token\":\"([^\"]+)\".*/\\1/')\n", base, s.admin.id, s.admin.secret)
	fmt.Fprintf(&b, "  curl -s -H \"Authorization: Bearer $TOKEN\" %s/v1/admin/tenants\n", base)
	fmt.Fprintf(&b, "  curl -s -H \"Authorization: Bearer $TOKEN\" %s/v1/tenants/%s/phone-numbers\n\n", base, s.tenantID)
	fmt.Fprintf(&b, "Quality: numbers fall from GREEN to RED and recover, templates are paused twice and disabled:\n\n")
	for _, p := range []string{"quality/summary", "quality/phone-numbers", "quality/templates", "quality/alerts"} {
		fmt.Fprintf(&b, "  curl -s -H \"Authorization: Bearer $TOKEN\" %s/v1/tenants/%s/%s\n", base, s.tenantID, p)
	}
	fmt.Fprintf(&b, "  curl -s -H \"Authorization: Bearer $TOKEN\" %s/v1/tenants/%s/quality/phone-numbers/<id>/history\n", base, s.tenantID)
	fmt.Fprintf(&b, "  curl -s -H \"Authorization: Bearer $TOKEN\" %s/v1/admin/quality/tenants\n\n", base)
	fmt.Fprintf(&b, "The Meta simulator is posting signed webhooks to %s/webhooks/meta; Ctrl-C stops everything.\n\n", base)
	_, _ = io.WriteString(w, b.String())
}

// playDemoTraffic waits for the API and then plays the simulator's demo mix
// until ctx ends.
func playDemoTraffic(ctx context.Context, log *slog.Logger, cfg config.Config, base string, s demoSeed, graph *metasim.Graph,
	onSend func(metasim.Send) error, pace demoPace) {
	secrets, _ := cfg.AppSecrets()
	if len(secrets) == 0 || len(s.numbers) == 0 {
		return
	}
	for ctx.Err() == nil {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	sc, err := metasim.Demo(metasim.DemoOptions{Numbers: s.numbers, Templates: s.templates, Graph: graph, OnSend: onSend,
		Strays: demoStrays, Now: pace.now})
	if err != nil {
		log.Error("demo traffic", "err", err)
		return
	}
	em := metasim.NewEmitter(base+"/webhooks/meta", secrets[0].Secret, &http.Client{Timeout: 5 * time.Second},
		metasim.WithBackoff(time.Second, 30*time.Second), metasim.WithGiveUpAfter(10*time.Minute))
	go reviewDemoTemplates(ctx, log, graph, em)
	if _, err := metasim.NewRunner(em, metasim.WithConcurrency(2), metasim.WithPacing(pace.factor)).Run(ctx, sc); err != nil && ctx.Err() == nil {
		log.Error("demo traffic stopped", "err", err)
	}
}
