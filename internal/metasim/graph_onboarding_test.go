package metasim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// graphCall sends one request straight to g and returns the status and
// the Graph error code (0 on success).
func graphCall(t *testing.T, g *Graph, method, target, token string) (int, int) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, req)
	var body struct {
		Error struct {
			Code int `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	return rec.Code, body.Error.Code
}

func TestGraphEmbeddedSignup(t *testing.T) {
	g := NewGraph(WithApp(App{ID: "42", Name: "bsp"}))
	g.SetAppSecret("shh")
	if err := g.AddWABA(WABA{ID: "1001", AccessToken: "tok"}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.AddPhoneNumber(PhoneNumber{ID: "2001", WABAID: "1001", DisplayPhoneNumber: "15550001"}); err != nil {
		t.Fatal(err)
	}
	g.AddSignupCode("c1", "tok")
	g.SetPIN("2001", "111111")
	exchange := "/v25.0/oauth/access_token?client_id=42&client_secret=shh&code="
	register := "/v25.0/2001/register?messaging_product=whatsapp&pin="
	tests := []struct {
		name         string
		method, path string
		token        string
		fault        func()
		status, code int
	}{
		{"wrong app secret", http.MethodGet, "/v25.0/oauth/access_token?client_id=42&client_secret=no&code=c1", "", nil, 400, 1},
		{"unknown code", http.MethodGet, exchange + "nope", "", nil, 400, 100},
		{"code exchanged", http.MethodGet, exchange + "c1", "", nil, 200, 0},
		{"code used twice", http.MethodGet, exchange + "c1", "", nil, 400, 100},
		{"subscribe with override", http.MethodPost, "/v25.0/1001/subscribed_apps?override_callback_uri=https://x.example/&verify_token=v", "tok", nil, 200, 0},
		{"PIN mismatch", http.MethodPost, register + "222222", "tok", nil, 400, 133005},
		{"PIN not six digits", http.MethodPost, register + "12", "tok", nil, 400, 100},
		{"registered", http.MethodPost, register + "111111", "tok", nil, 200, 0},
		{"injected rate limit", http.MethodPost, register + "111111", "tok", func() { g.FailNext(OpRegister, 1, 133016) }, 400, 133016},
		{"after the injected failure", http.MethodPost, register + "111111", "tok", nil, 200, 0},
		{"injected outage", http.MethodGet, exchange + "c1", "", func() { g.FailNext(OpExchangeCode, -1, 2) }, 503, 2},
		{"outage lasts", http.MethodGet, exchange + "c1", "", nil, 503, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fault != nil {
				tc.fault()
			}
			status, code := graphCall(t, g, tc.method, tc.path, tc.token)
			if status != tc.status || code != tc.code {
				t.Fatalf("got %d/%d, want %d/%d", status, code, tc.status, tc.code)
			}
		})
	}
	if s := g.Subscription("1001"); s == nil || s.OverrideCallbackURI != "https://x.example/" || s.VerifyToken != "v" {
		t.Fatalf("subscription %+v", s)
	}
	if pin, n := g.Registration("2001"); pin != "111111" || n != 2 {
		t.Fatalf("PIN %q registered %d times, want 111111 twice", pin, n)
	}
}
