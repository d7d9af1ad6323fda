package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/wabsp/wabsp/internal/config"
	"github.com/wabsp/wabsp/internal/logging"
	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/tenants"
)

// TestOperabilityUnderTraffic runs wabsp as an operator does, as separate
// serve, work and schedule systems on one database, migrated by `wabsp
// migrate`, and, while signed webhooks and API calls of every method flow,
// scrapes the API's /metrics and the worker's and scheduler's side ports
// over and over. Every scrape must answer 200 and parse as the Prometheus
// text format with no series twice. Every log line written meanwhile must be
// one JSON object with no key twice, and every key must be documented in
// docs/operations.md.
func TestOperabilityUnderTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a whole system under traffic")
	}
	logs := &lockedBuffer{}
	dbURL := emptyDatabase(t)
	t.Setenv("WABSP_DATABASE_URL", dbURL)
	t.Setenv("WABSP_LOG_LEVEL", "debug")
	if err := run(context.Background(), []string{"migrate"}, io.Discard, logs); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	base := e2eConfig(t, dbURL, func(c *config.Config) { c.LogLevel = "debug" })
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	start := func(role string, ln net.Listener, cfg config.Config) *system {
		sys, err := openSystem(ctx, cfg, newLogger(cfg, logs, role))
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := sys.runRoles(ctx, role, ln); err != nil {
				t.Errorf("%s: %v", role, err)
			}
		}()
		return sys
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	workCfg, schedCfg := base, base
	workCfg.MetricsAddr, schedCfg.MetricsAddr = freePort(t), freePort(t)
	api := &running{sys: start("serve", ln, base), base: "http://" + ln.Addr().String()}
	systems := []*system{api.sys, start("work", nil, workCfg), start("schedule", nil, schedCfg)}
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		for _, s := range systems {
			s.close()
		}
	})
	targets := []string{api.base + "/metrics", "http://" + workCfg.MetricsAddr + "/metrics", "http://" + schedCfg.MetricsAddr + "/metrics"}
	waitReady(t, api.base+"/readyz")
	for _, u := range targets[1:] {
		waitReady(t, strings.TrimSuffix(u, "/metrics")+"/healthz")
	}

	seedOperabilityTenant(t, api)
	token := adminToken(t, api)
	stop := make(chan struct{})
	var traffic sync.WaitGroup
	for w := range 4 {
		traffic.Go(func() { postWebhooks(t, api, w, stop) })
	}
	traffic.Go(func() { callAPI(t, api, token, stop) })

	scrapes := 0
	for deadline := time.Now().Add(4 * time.Second); time.Now().Before(deadline); {
		for _, u := range targets {
			if err := scrape(u); err != nil {
				t.Errorf("scrape %d: %v", scrapes, err)
			}
			scrapes++
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	traffic.Wait()
	waitFor(t, "webhooks processed by the worker", func() bool { return archivedCount(t, api) > 0 })
	for _, u := range targets {
		if err := scrape(u); err != nil {
			t.Errorf("final scrape: %v", err)
		}
	}
	t.Logf("%d scrapes", scrapes)

	// Idle keep-alive connections would hold the API's drain to its deadline.
	http.DefaultClient.CloseIdleConnections()
	cancel()
	wg.Wait()
	checkLogLines(t, logs.Bytes())
}

// scrape reads one /metrics answer and checks it the way Prometheus would.
func scrape(url string) error {
	res, err := http.Get(url)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: status %d: %.300s", url, res.StatusCode, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", url, err)
	}
	for name, f := range families {
		seen := map[string]bool{}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(labels)
			key := strings.Join(labels, ",")
			if seen[key] {
				return fmt.Errorf("%s: %s{%s} twice", url, name, key)
			}
			seen[key] = true
		}
	}
	return nil
}

func seedOperabilityTenant(t *testing.T, r *running) {
	t.Helper()
	ctx, actor := context.Background(), tenants.System("operability test")
	tn, err := r.sys.tenants.CreateTenant(ctx, actor, tenants.NewTenant{Name: "Acme", Slug: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	w, err := r.sys.tenants.CreateWABA(ctx, actor, tn.ID, tenants.NewWABA{WABAID: "102290129340398"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.sys.tenants.CreatePhoneNumber(ctx, actor, tn.ID, tenants.NewPhoneNumber{
		WABARef: w.ID, PhoneNumberID: "106540352242922", DisplayPhoneNumber: "+15550783881",
	}); err != nil {
		t.Fatal(err)
	}
}

// postWebhooks posts signed fixtures until stop, each with padding of its
// own so that every body is new to the archive and is processed; every
// tenth is badly signed.
func postWebhooks(t *testing.T, r *running, worker int, stop <-chan struct{}) {
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	if len(files) == 0 {
		t.Errorf("no fixtures in %s", fixtureDir)
		return
	}
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		body, err := os.ReadFile(files[(worker*7+i)%len(files)])
		if err != nil {
			t.Error(err)
			return
		}
		body = append(body, bytes.Repeat([]byte(" "), worker*1000+i)...)
		sig, want := metasim.Signature([]byte(e2eSecret), body), http.StatusOK
		if i%10 == 9 {
			sig, want = "sha256="+strings.Repeat("0", 64), http.StatusUnauthorized
		}
		status, err := postWebhook(r.base, body, sig)
		// 503 is the intake's answer when it cannot make a body durable in
		// time, as on a loaded machine; Meta sends the body again, and so
		// does this test.
		for tries := 1; err == nil && status == http.StatusServiceUnavailable && want == http.StatusOK && tries < 20; tries++ {
			time.Sleep(time.Duration(tries) * 50 * time.Millisecond)
			status, err = postWebhook(r.base, body, sig)
		}
		if err != nil {
			t.Error(err)
			return
		}
		if status != want {
			t.Errorf("webhook: status %d, want %d", status, want)
		}
	}
}

func postWebhook(base string, body []byte, sig string) (int, error) {
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/meta", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", sig)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// callAPI calls the API with every method, answered and refused, until stop.
func callAPI(t *testing.T, r *running, token string, stop <-chan struct{}) {
	calls := []struct{ method, path, body string }{
		{"GET", "/v1/admin/tenants", ""},
		{"POST", "/v1/admin/tenants", `{"name":"x"}`},
		{"PATCH", "/v1/admin/tenants/not-a-uuid", `{}`},
		{"DELETE", "/v1/tenants/00000000-0000-7000-8000-000000000000/subscriptions/00000000-0000-7000-8000-000000000000", ""},
		{"GET", "/healthz", ""},
		{"PUT", "/no/such/route", ""},
		{"GET", "/webhooks/meta?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1", ""},
	}
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		c := calls[i%len(calls)]
		req, _ := http.NewRequest(c.method, r.base+c.path, strings.NewReader(c.body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("X-Request-Id", fmt.Sprintf("op-test-%d", i))
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
}

// checkLogLines decodes every line strictly: one JSON object each, no key
// twice at any depth, every top-level key documented.
func checkLogLines(t *testing.T, out []byte) {
	t.Helper()
	documented := documentedLogKeys(t)
	undocumented := map[string]bool{}
	messages := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		lines++
		line := sc.Bytes()
		keys, err := strictObjectKeys(line)
		if err != nil {
			t.Errorf("log line %d: %v: %s", lines, err, line)
			continue
		}
		for _, k := range keys {
			if !documented[k] {
				undocumented[k] = true
			}
		}
		var m struct{ Msg string }
		_ = json.Unmarshal(line, &m)
		messages[m.Msg] = true
	}
	for k := range undocumented {
		t.Errorf("log key %q is not in the Logs table of docs/operations.md", k)
	}
	// The run must have logged what it claims to cover.
	for _, msg := range []string{"migration applied", "database is current", "api listening", "worker started", "scheduler started", "http request"} {
		if !messages[msg] {
			t.Errorf("no %q line among %d lines", msg, lines)
		}
	}
}

// strictObjectKeys returns the top-level keys of one JSON object, failing on
// a key repeated in it or in any nested object; encoding/json would keep the
// last value silently.
func strictObjectKeys(line []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	keys, err := objectKeys(dec)
	if err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data")
	}
	return keys, nil
}

// objectKeys reads the rest of an object whose '{' was consumed.
func objectKeys(dec *json.Decoder) ([]string, error) {
	var keys []string
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k := tok.(string)
		if seen[k] {
			return nil, fmt.Errorf("duplicate key %q", k)
		}
		seen[k] = true
		keys = append(keys, k)
		if err := skipValue(dec); err != nil {
			return nil, err
		}
	}
	_, err := dec.Token() // '}'
	return keys, err
}

func skipValue(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		_, err = objectKeys(dec)
		return err
	case json.Delim('['):
		for dec.More() {
			if err := skipValue(dec); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	}
	return nil
}

// documentedLogKeys reads the keys of the Logs table in docs/operations.md.
func documentedLogKeys(t *testing.T) map[string]bool {
	t.Helper()
	doc, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	_, logsSection, _ := strings.Cut(string(doc), "\n## Logs")
	logsSection, _, _ = strings.Cut(logsSection, "\n## ")
	keys := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|").FindAllStringSubmatch(logsSection, -1) {
		keys[m[1]] = true
	}
	for _, k := range logging.ProcessKeys {
		if !keys[k] {
			t.Errorf("process key %q is not documented", k)
		}
	}
	return keys
}

// emptyDatabase creates a database with no schema, dropped after the test.
func emptyDatabase(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("wabsp_test_ops_%d", time.Now().UnixNano())
	admin, err := pgx.Connect(ctx, pgtest.BaseURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), pgtest.BaseURL())
		if err != nil {
			t.Logf("drop %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return pgtest.URLFor(name)
}

// lockedBuffer is an io.Writer several processes' loggers share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func TestStrictObjectKeys(t *testing.T) {
	tests := []struct {
		name, line string
		wantErr    bool
	}{
		{"distinct keys", `{"msg":"x","app_version":"dev","schema_version":3}`, false},
		{"repeated key", `{"msg":"x","version":"dev","version":3}`, true},
		{"repeated nested key", `{"msg":"x","g":{"a":1,"a":2}}`, true},
		{"same key at two depths", `{"a":{"a":1},"b":[{"a":1},{"a":2}]}`, false},
		{"not an object", `["a"]`, true},
		{"trailing data", `{"a":1}{"b":2}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := strictObjectKeys([]byte(tt.line))
			if (err != nil) != tt.wantErr {
				t.Fatalf("strictObjectKeys(%s) error = %v, want error %v", tt.line, err, tt.wantErr)
			}
		})
	}
}
