package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/config"
	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/internal/redistest"
	"github.com/wabsp/wabsp/tenants"
	"github.com/wabsp/wabsp/webhooks"
)

const (
	e2eSecret   = "e2e-app-secret"
	fixtureDir  = "../../../shared/meta/fixtures"
	e2eJWTKey   = "e2e:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
	e2eAESKey   = "e2e:AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="
	e2eAppID    = "e2e-app"
	e2eVerifier = "e2e-verify"
)

// running is the whole wabsp (API, workers, scheduler) in this process on a
// real listener, against a database and Redis of the test's own.
type running struct {
	sys  *system
	base string
}

func startSystem(t testing.TB, mutate func(*config.Config)) *running {
	t.Helper()
	_, dbURL := pgtest.NewWithURL(t)
	cfg := e2eConfig(t, dbURL, mutate)
	ctx, cancel := context.WithCancel(context.Background())
	sys, err := openSystem(ctx, cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- sys.runRoles(ctx, "all", ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
		sys.close()
	})
	r := &running{sys: sys, base: "http://" + ln.Addr().String()}
	waitReady(t, r.base+"/readyz")
	return r
}

// e2eConfig is the configuration of a test system on database dbURL and a
// Redis database of the test's own.
func e2eConfig(t testing.TB, dbURL string, mutate func(*config.Config)) config.Config {
	t.Helper()
	redisDB, _ := redistest.New(t)
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.DatabaseURL, cfg.RedisAddr, cfg.RedisDB = dbURL, redistest.Addr(), redisDB
	cfg.JWTKeys, cfg.EncryptionKeys = e2eJWTKey, e2eAESKey
	cfg.MetaAppSecrets, cfg.MetaVerifyToken = e2eAppID+":"+e2eSecret, e2eVerifier
	cfg.ShutdownTimeout = 2 * time.Second
	if mutate != nil {
		mutate(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func (r *running) post(t *testing.T, body []byte, sig string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", r.base+"/webhooks/meta", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set("X-Hub-Signature-256", sig)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// fixtureOwner is the test's own reading of Meta's routing rules: the
// number's id when the payload has one, the client WABA of a partner event,
// else the entry's WABA.
func fixtureOwner(t *testing.T, body []byte) string {
	t.Helper()
	var env struct {
		Entry []struct {
			ID      string `json:"id"`
			Changes []struct {
				Value struct {
					Metadata struct {
						PhoneNumberID string `json:"phone_number_id"`
					} `json:"metadata"`
					WABAInfo struct {
						WABAID string `json:"waba_id"`
					} `json:"waba_info"`
				} `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	v := env.Entry[0].Changes[0].Value
	switch {
	case v.Metadata.PhoneNumberID != "":
		return "phone:" + v.Metadata.PhoneNumberID
	case v.WABAInfo.WABAID != "":
		return "waba:" + v.WABAInfo.WABAID
	default:
		return "waba:" + env.Entry[0].ID
	}
}

// TestEveryFixtureLandsWhereItBelongs posts every Meta fixture, signed, to a
// running wabsp and follows it through the workers: each is answered 200,
// archived, and its changes stored under the tenant that owns the WABA or
// number it names. Fixtures naming WABAs nobody has onboarded wait as
// orphans and land once the WABA is added through the API.
func TestEveryFixtureLandsWhereItBelongs(t *testing.T) {
	r := startSystem(t, nil)
	ctx := context.Background()
	svc, actor := r.sys.tenants, tenants.System("e2e test")
	owners := map[string]uuid.UUID{}
	onboard := func(slug string, wabas map[string][][2]string) uuid.UUID {
		tn, err := svc.CreateTenant(ctx, actor, tenants.NewTenant{Name: slug, Slug: slug})
		if err != nil {
			t.Fatal(err)
		}
		for wabaID, numbers := range wabas {
			w, err := svc.CreateWABA(ctx, actor, tn.ID, tenants.NewWABA{WABAID: wabaID})
			if err != nil {
				t.Fatal(err)
			}
			owners["waba:"+wabaID] = tn.ID
			for _, n := range numbers {
				if _, err := svc.CreatePhoneNumber(ctx, actor, tn.ID, tenants.NewPhoneNumber{WABARef: w.ID, PhoneNumberID: n[0], DisplayPhoneNumber: n[1]}); err != nil {
					t.Fatal(err)
				}
				owners["phone:"+n[0]] = tn.ID
			}
		}
		return tn.ID
	}
	onboard("acme", map[string][][2]string{"102290129340398": {{"106540352242922", "+15550783881"}}})
	onboard("batik", map[string][][2]string{"495709166956424": {{"495700000000001", "+124545784358810"}}})
	late := onboard("clinica", map[string][][2]string{"980198427658004": nil, "1191624265890717": nil})

	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	if len(files) == 0 {
		t.Fatalf("no fixtures in %s", fixtureDir)
	}
	want := map[string]string{} // sha256 → owner key
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if status, b := r.post(t, body, metasim.Signature([]byte(e2eSecret), body)); status != 200 {
			t.Fatalf("%s: %d %s", filepath.Base(f), status, b)
		}
		want[filepath.Base(f)] = fixtureOwner(t, body)
	}
	waitFor(t, "every fixture archived and routed", func() bool {
		pending, _, err := r.sys.webhooks.ListArchive(ctx, webhooks.ArchiveFilter{Status: webhooks.StatusPending})
		return err == nil && len(pending) == 0 && archivedCount(t, r) == len(files)
	})

	for _, f := range files {
		name, body := filepath.Base(f), mustRead(t, f)
		id := archiveID(t, r, body)
		tenant, known := owners[want[name]]
		if !known {
			if n := orphanCount(t, r, id); n == 0 {
				t.Errorf("%s names %s, which no tenant owns, yet is not an orphan", name, want[name])
			}
			continue
		}
		waitFor(t, name+" stored for its owner ("+want[name]+")", func() bool { return landedRows(t, r, id, tenant, body) > 0 })
	}

	// Onboarding the missing WABAs through the API adopts their orphans.
	token := adminToken(t, r)
	for _, wabaID := range []string{"184943124712545", "524126980791429"} {
		status, b := r.api(t, token, "POST", "/v1/tenants/"+late.String()+"/wabas", fmt.Sprintf(`{"waba_id":%q}`, wabaID))
		if status != 201 {
			t.Fatalf("create waba %s: %d %s", wabaID, status, b)
		}
	}
	waitFor(t, "orphans adopted after onboarding", func() bool {
		orphans, _, err := r.sys.webhooks.ListArchive(ctx, webhooks.ArchiveFilter{Status: webhooks.StatusOrphan})
		return err == nil && len(orphans) == 0
	})
	for _, f := range files {
		name, body := filepath.Base(f), mustRead(t, f)
		if w := want[name]; w == "waba:184943124712545" || w == "waba:524126980791429" {
			id := archiveID(t, r, body)
			waitFor(t, name+" stored for the tenant that onboarded "+w, func() bool { return landedRows(t, r, id, late, body) > 0 })
		}
	}
}

// TestOversizedWebhooksAreRefused checks the body limit on a real listener,
// both below and above the HTTP server's own limit, and that nothing of it
// reaches the archive.
func TestOversizedWebhooksAreRefused(t *testing.T) {
	r := startSystem(t, func(c *config.Config) { c.WebhookMaxBody = 4096 })
	for _, size := range []int{4097, 512 << 10} {
		body := append([]byte(`{"object":"whatsapp_business_account","entry":[]}`), bytes.Repeat([]byte(" "), size)...)
		status, b := r.post(t, body, metasim.Signature([]byte(e2eSecret), body))
		if status != 413 || !bytes.Contains(b, []byte(`"payload_too_large"`)) {
			t.Errorf("%d bytes: status %d body %s, want 413 payload_too_large", len(body), status, b)
		}
	}
	// Past the HTTP server's own limit the answer comes from the declared
	// length alone, before the body is read.
	if resp := headersOnly(t, r.base, 8<<20); !strings.HasPrefix(resp, "HTTP/1.1 413") || !strings.Contains(resp, "payload_too_large") {
		t.Errorf("8 MiB declared: got %q, want 413 payload_too_large", resp)
	}
	time.Sleep(200 * time.Millisecond) // give a wrongly queued body time to reach the archive
	if n := archivedCount(t, r); n != 0 {
		t.Fatalf("%d bodies archived, want 0", n)
	}
}

func (r *running) api(t *testing.T, token, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, r.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func adminToken(t *testing.T, r *running) string {
	t.Helper()
	c, secret, err := r.sys.tenants.CreateClient(context.Background(), tenants.System("e2e test"), tenants.NewClient{Name: "e2e admin", Role: auth.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	return clientToken(t, r, c.ClientID, secret)
}

// clientToken is the access token the token endpoint grants the client.
func clientToken(t testing.TB, r *running, clientID, secret string) string {
	t.Helper()
	res, err := http.PostForm(r.base+"/v1/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token: status %d, err %v", res.StatusCode, err)
	}
	return tok.AccessToken
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func archivedCount(t *testing.T, r *running) int {
	t.Helper()
	var n int
	if err := r.sys.db.QueryRow(context.Background(), `SELECT count(*) FROM webhook_archive`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func archiveID(t *testing.T, r *running, body []byte) int64 {
	t.Helper()
	var id int64
	err := r.sys.db.QueryRow(context.Background(), `SELECT id FROM webhook_archive WHERE body = $1`, body).Scan(&id)
	if err != nil {
		t.Fatalf("archive lookup: %v", err)
	}
	return id
}

func orphanCount(t *testing.T, r *running, archiveID int64) int {
	t.Helper()
	var n int
	if err := r.sys.db.QueryRow(context.Background(), `SELECT count(*) FROM webhook_orphans WHERE archive_id = $1 AND adopted_at IS NULL`, archiveID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// landedRows counts what a body stored for tenant, in whichever table its
// field belongs to. A status or message already delivered in another body
// (Meta repeats them) is stored once, under the first body, so those are
// matched by their message id too.
func landedRows(t *testing.T, r *running, archiveID int64, tenant uuid.UUID, body []byte) int {
	t.Helper()
	var env struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Statuses []struct {
						ID string `json:"id"`
					} `json:"statuses"`
					Messages []struct {
						ID string `json:"id"`
					} `json:"messages"`
				} `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	_ = json.Unmarshal(body, &env)
	wamids := []string{}
	for _, e := range env.Entry {
		for _, c := range e.Changes {
			for _, st := range c.Value.Statuses {
				wamids = append(wamids, st.ID)
			}
			for _, m := range c.Value.Messages {
				wamids = append(wamids, m.ID)
			}
		}
	}
	var n int
	err := r.sys.db.QueryRow(context.Background(), `
		SELECT (SELECT count(*) FROM message_statuses WHERE (archive_id = $1 OR wamid = ANY($3)) AND tenant_id = $2)
		     + (SELECT count(*) FROM inbound_messages WHERE (archive_id = $1 OR wamid = ANY($3)) AND tenant_id = $2)
		     + (SELECT count(*) FROM tenant_events WHERE archive_id = $1 AND tenant_id = $2)`, archiveID, tenant, wamids).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// headersOnly sends a webhook POST declaring length bytes of body without
// sending it, and returns what the server answers.
func headersOnly(t *testing.T, base string, length int) string {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /webhooks/meta HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", length)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, _ := io.ReadAll(c)
	return string(b)
}
