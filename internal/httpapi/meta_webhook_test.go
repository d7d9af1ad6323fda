package httpapi_test

import (
	"encoding/base64"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/workers"
)

// fixtureDir holds Meta's verbatim webhook examples, beside the repository.
const fixtureDir = "../../../shared/meta/fixtures"

func fixtures(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in %s (err %v)", fixtureDir, err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

func signed(body []byte) map[string]string {
	return map[string]string{"X-Hub-Signature-256": metasim.Signature([]byte(testAppSecret), body)}
}

// queuedBodies counts the webhook bodies waiting in Redis for the workers.
func queuedBodies(t *testing.T, rdb *redis.Client) int {
	t.Helper()
	tasks, err := workers.WaitingIntakeTasks(asynq.NewInspectorFromRedisClient(rdb))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ti := range tasks {
		bodies, err := workers.DecodeIntakeBodies(ti.Payload)
		if err != nil {
			t.Fatal(err)
		}
		n += len(bodies)
	}
	return n
}

func TestMetaHandshake(t *testing.T) {
	e := newEnv(t, options{})
	tests := []struct {
		name       string
		query      url.Values
		wantStatus int
	}{
		{"subscribe with the token", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {testVerifyToken}, "hub.challenge": {"1158201444"}}, 200},
		{"wrong token", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"guess"}, "hub.challenge": {"1"}}, 403},
		{"wrong mode", url.Values{"hub.mode": {"unsubscribe"}, "hub.verify_token": {testVerifyToken}, "hub.challenge": {"1"}}, 403},
		{"nothing", url.Values{}, 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(request{method: "GET", path: "/webhooks/meta?" + tc.query.Encode()})
			if r.status != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, tc.wantStatus, r.body)
			}
			if tc.wantStatus == 200 {
				if string(r.body) != "1158201444" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
					t.Fatalf("body %q, type %q: want the challenge as text/plain", r.body, r.header.Get("Content-Type"))
				}
				return
			}
			r.problem(t)
		})
	}
}

// Every Meta fixture, signed, is answered 200 and made durable.
func TestEveryFixtureIsAcceptedAndQueued(t *testing.T) {
	e := newEnv(t, options{})
	all := fixtures(t)
	for name, body := range all {
		r := e.do(request{method: "POST", path: "/webhooks/meta", body: string(body), header: signed(body)})
		if r.status != 200 {
			t.Fatalf("%s: status %d: %s", name, r.status, r.body)
		}
		if r.header.Get("X-Request-Id") == "" {
			t.Fatalf("%s: answered without X-Request-Id", name)
		}
	}
	if n := queuedBodies(t, e.rdb); n != len(all) {
		t.Fatalf("%d bodies queued, want %d", n, len(all))
	}
}

// What Meta did not sign is refused and never queued. (Bodies over the limit
// are refused by the HTTP server before any handler runs, which app.Test
// cannot show; cmd/wabsp's end-to-end test covers them on a real listener.)
func TestRejectedWebhooksQueueNothing(t *testing.T) {
	e := newEnv(t, options{})
	body, err := os.ReadFile(filepath.Join(fixtureDir, "messages-3.json"))
	if err != nil {
		t.Fatal(err)
	}
	truncated := body[:len(body)/2]
	otherSecret := metasim.Signature([]byte("another app's secret"), body)
	tests := []struct {
		name       string
		body       []byte
		header     map[string]string
		wantStatus int
		wantCode   string
	}{
		{"unsigned", body, nil, 401, "unauthenticated"},
		{"signed with another secret", body, map[string]string{"X-Hub-Signature-256": otherSecret}, 401, "unauthenticated"},
		{"malformed signature", body, map[string]string{"X-Hub-Signature-256": "sha256=zz"}, 401, "unauthenticated"},
		{"sha1 header only", body, map[string]string{"X-Hub-Signature": "sha1=00"}, 401, "unauthenticated"},
		{"truncated in transit", truncated, signed(body), 401, "unauthenticated"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(request{method: "POST", path: "/webhooks/meta", body: string(tc.body), header: tc.header})
			if r.status != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, tc.wantStatus, r.body)
			}
			if p := r.problem(t); p.Code != tc.wantCode {
				t.Fatalf("code %q, want %q", p.Code, tc.wantCode)
			}
		})
	}
	if n := queuedBodies(t, e.rdb); n != 0 {
		t.Fatalf("%d bodies queued by refused requests, want 0", n)
	}
}

// A signed body that is not JSON cannot be fixed by a retry: it is accepted
// and queued, and the worker archives it as poison for admins.
func TestSignedGarbageIsAccepted(t *testing.T) {
	e := newEnv(t, options{})
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1`)
	if r := e.do(request{method: "POST", path: "/webhooks/meta", body: string(body), header: signed(body)}); r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if n := queuedBodies(t, e.rdb); n != 1 {
		t.Fatalf("%d bodies queued, want 1", n)
	}
}

// When Redis cannot take the body, Meta must hear 503 so that it retries.
func TestWebhookUnavailableWhenRedisIsDown(t *testing.T) {
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { dead.Close() })
	e := newEnv(t, options{redis: dead})
	body, err := os.ReadFile(filepath.Join(fixtureDir, "messages-1.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := e.do(request{method: "POST", path: "/webhooks/meta", body: string(body), header: signed(body)})
	if r.status != 503 || r.header.Get("Retry-After") == "" {
		t.Fatalf("status %d, Retry-After %q: want 503 with Retry-After", r.status, r.header.Get("Retry-After"))
	}
	if p := r.problem(t); p.Code != "unavailable" {
		t.Fatalf("code %q", p.Code)
	}
}

func TestArchiveAdmin(t *testing.T) {
	e := newEnv(t, options{})
	admin := e.token(e.admin)
	id := strconv.FormatInt(e.archiveID, 10)

	t.Run("poison bodies are listed with their reason", func(t *testing.T) {
		r := e.do(request{method: "GET", path: "/v1/admin/webhooks/archive?status=poison", token: admin})
		var page openapi.ArchivedWebhookPage
		r.decode(t, &page)
		if r.status != 200 || len(page.Items) != 1 || page.Items[0].Id != e.archiveID || deref(page.Items[0].Error) == "" {
			t.Fatalf("status %d, page %+v", r.status, page)
		}
	})
	t.Run("one body, byte for byte", func(t *testing.T) {
		r := e.do(request{method: "GET", path: "/v1/admin/webhooks/archive/" + id, token: admin})
		var got openapi.ArchivedWebhookWithBody
		r.decode(t, &got)
		raw, err := base64.StdEncoding.DecodeString(got.BodyBase64)
		if r.status != 200 || err != nil || string(raw) != "not json" || deref(got.Body) != "not json" || got.Status != "poison" {
			t.Fatalf("status %d, entry %+v", r.status, got)
		}
	})
	t.Run("unknown id", func(t *testing.T) {
		r := e.do(request{method: "GET", path: "/v1/admin/webhooks/archive/999999", token: admin})
		if r.status != 404 || r.problem(t).Code != "not_found" {
			t.Fatalf("status %d", r.status)
		}
	})
	t.Run("replay needs a selection", func(t *testing.T) {
		r := e.do(request{method: "POST", path: "/v1/admin/webhooks/replays", token: admin, body: `{}`})
		if r.status != 400 || r.problem(t).Code != "invalid_request" {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	})
	t.Run("replay is idempotent by key", func(t *testing.T) {
		send := func() openapi.WebhookReplay {
			r := e.do(request{method: "POST", path: "/v1/admin/webhooks/replays", token: admin,
				body: `{"ids":[` + id + `]}`, header: map[string]string{"Idempotency-Key": "replay-once"}})
			var out openapi.WebhookReplay
			r.decode(t, &out)
			if r.status != 202 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			return out
		}
		first, second := send(), send()
		if first.ReplayId == "" || first.ReplayId != second.ReplayId {
			t.Fatalf("replay ids %q and %q, want one id", first.ReplayId, second.ReplayId)
		}
	})
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
