package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/wabsp/wabsp/openapi"
)

func TestServiceEndpoints(t *testing.T) {
	e := newEnv(t, options{})
	// One API call first, so the histogram has a series to show.
	must(t, e.do(request{method: "GET", path: "/v1/tenants/" + e.tenantA.ID.String(), token: e.token(e.clientA)}), http.StatusOK, nil)

	var health openapi.Health
	must(t, e.do(request{method: "GET", path: "/healthz"}), http.StatusOK, &health)
	if health.Status != openapi.HealthStatusOk {
		t.Errorf("healthz = %+v", health)
	}

	var ready openapi.Readiness
	must(t, e.do(request{method: "GET", path: "/readyz"}), http.StatusOK, &ready)
	want := openapi.Readiness{Status: openapi.ReadinessStatusOk, Checks: map[string]string{"postgres": "ok", "redis": "ok", "migrations": "ok"}}
	if diff := cmp.Diff(want, ready); diff != "" {
		t.Errorf("readyz (-want +got):\n%s", diff)
	}

	metrics := e.do(request{method: "GET", path: "/metrics"})
	must(t, metrics, http.StatusOK, nil)
	for _, s := range []string{
		`wabsp_http_request_duration_seconds_count{method="GET",route="/v1/tenants/:tenant_id",status="200"} 1`,
		"wabsp_http_requests_in_flight",
		"go_goroutines",
	} {
		if !strings.Contains(string(metrics.body), s) {
			t.Errorf("/metrics lacks %q", s)
		}
	}
	if strings.Contains(string(metrics.body), e.tenantA.ID.String()) {
		t.Error("/metrics labels a series with a tenant id")
	}

	spec := e.do(request{method: "GET", path: "/openapi.json"})
	must(t, spec, http.StatusOK, nil)
	var doc struct {
		OpenAPI string                     `json:"openapi"`
		Paths   map[string]json.RawMessage `json:"paths"`
	}
	spec.decode(t, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.1") || doc.Paths["/v1/tenants/{tenant_id}/wabas"] == nil {
		t.Errorf("/openapi.json: openapi %q, %d paths", doc.OpenAPI, len(doc.Paths))
	}

	page := e.do(request{method: "GET", path: "/docs"})
	must(t, page, http.StatusOK, nil)
	if !strings.Contains(string(page.body), "/docs/swagger-ui-bundle.js") || page.header.Get("Content-Security-Policy") == "" {
		t.Errorf("/docs page: CSP %q, body %.200s", page.header.Get("Content-Security-Policy"), page.body)
	}
	for _, asset := range []string{"/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/docs/init.js"} {
		res := e.do(request{method: "GET", path: asset})
		if res.status != http.StatusOK || len(res.body) == 0 {
			t.Errorf("%s: status %d, %d bytes", asset, res.status, len(res.body))
		}
	}
	must(t, e.do(request{method: "GET", path: "/docs/README.md"}), http.StatusNotFound, nil)

	var jwks openapi.JWKSet
	must(t, e.do(request{method: "GET", path: "/.well-known/jwks.json"}), http.StatusOK, &jwks)
	if len(jwks.Keys) != 1 || jwks.Keys[0].Kid != e.keyring.SigningKeyID() || jwks.Keys[0].Kty != "OKP" {
		t.Errorf("jwks = %+v", jwks)
	}
}

func TestNotReady(t *testing.T) {
	// Nothing listens on port 1, so Redis fails at once.
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { dead.Close() })
	e := newEnv(t, options{redis: dead})
	var ready openapi.Readiness
	res := e.do(request{method: "GET", path: "/readyz"})
	must(t, res, http.StatusServiceUnavailable, &ready)
	want := openapi.Readiness{Status: openapi.ReadinessStatusUnavailable, Checks: map[string]string{"postgres": "ok", "redis": "unreachable", "migrations": "ok"}}
	if diff := cmp.Diff(want, ready); diff != "" {
		t.Errorf("readyz (-want +got):\n%s", diff)
	}
	if strings.Contains(string(res.body), "127.0.0.1") {
		t.Errorf("readyz leaks the error: %s", res.body)
	}
	// The rate limiter fails open: Redis being down does not take the API down.
	must(t, e.do(request{method: "GET", path: "/v1/me", token: e.token(e.admin)}), http.StatusOK, nil)
}

func TestRateLimit(t *testing.T) {
	// Two requests, then one every 1000 seconds: the third is refused.
	e := newEnv(t, options{rate: 0.001, burst: 2})
	tok := e.token(e.clientA)
	for i := range 2 {
		res := e.do(request{method: "GET", path: "/v1/me", token: tok})
		must(t, res, http.StatusOK, nil)
		if got := res.header.Get("RateLimit-Remaining"); got != strconv.Itoa(1-i) {
			t.Errorf("request %d: RateLimit-Remaining %q", i, got)
		}
		if res.header.Get("RateLimit-Limit") != "2" || res.header.Get("RateLimit-Reset") == "" {
			t.Errorf("request %d: headers %v", i, res.header)
		}
	}
	res := e.do(request{method: "GET", path: "/v1/me", token: tok})
	if res.status != http.StatusTooManyRequests || res.problem(t).Code != "rate_limited" {
		t.Fatalf("third request: status %d; body %s", res.status, res.body)
	}
	retry, err := strconv.Atoi(res.header.Get("Retry-After"))
	if err != nil || retry < 1 || retry > 1000 {
		t.Errorf("Retry-After %q", res.header.Get("Retry-After"))
	}
	if res.header.Get("RateLimit-Remaining") != "0" || res.header.Get("RateLimit-Limit") != "2" {
		t.Errorf("429 headers %v", res.header)
	}
	// Buckets are per client: another client is unaffected.
	must(t, e.do(request{method: "GET", path: "/v1/me", token: e.token(e.clientB)}), http.StatusOK, nil)
}

func TestRequestID(t *testing.T) {
	e := newEnv(t, options{})
	tests := []struct {
		name, sent string
		kept       bool
	}{
		{"sane id is kept", "client-req_42.a", true},
		{"header injection is replaced", "abc\r\nX-Evil: 1", false},
		{"overlong id is replaced", strings.Repeat("a", 65), false},
		{"none sent", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := request{method: "GET", path: "/healthz"}
			if tc.sent != "" {
				req.header = map[string]string{"X-Request-Id": tc.sent}
			}
			got := e.do(req).header.Get("X-Request-Id")
			if got == "" || (got == tc.sent) != tc.kept {
				t.Errorf("X-Request-Id %q for %q", got, tc.sent)
			}
		})
	}
	p := e.do(request{method: "GET", path: "/v1/me", header: map[string]string{"X-Request-Id": "trace-me"}}).problem(t)
	if p.RequestId != "trace-me" {
		t.Errorf("problem request_id %q", p.RequestId)
	}
	if !strings.Contains(e.logs.String(), `"request_id":"trace-me"`) {
		t.Error("access log lacks the request id")
	}
}
