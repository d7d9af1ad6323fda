package metasim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

const (
	wabaA  = "102290129340398"
	wabaB  = "495709166956424"
	tokenA = "token-a"
	tokenB = "token-b"
)

type graphFixture struct {
	graph  *Graph
	server *httptest.Server
	clock  *fakeClock
	phones []PhoneNumber
}

// newGraphFixture serves a Graph with two WABAs; WABA A has n phone numbers.
func newGraphFixture(t *testing.T, phones int, opts ...GraphOption) *graphFixture {
	t.Helper()
	clock := &fakeClock{now: time.Date(2026, 7, 14, 9, 0, 0, 0, time.UTC)}
	g := NewGraph(append([]GraphOption{WithClock(clock.Now)}, opts...)...)
	for _, w := range []WABA{{ID: wabaA, Name: "Toko A", AccessToken: tokenA}, {ID: wabaB, Name: "Shop B", AccessToken: tokenB}} {
		if err := g.AddWABA(w); err != nil {
			t.Fatal(err)
		}
	}
	f := &graphFixture{graph: g, clock: clock}
	for i := range phones {
		p, err := g.AddPhoneNumber(PhoneNumber{WABAID: wabaA, DisplayPhoneNumber: fmt.Sprintf("1631555%04d", i)})
		if err != nil {
			t.Fatal(err)
		}
		f.phones = append(f.phones, p)
	}
	f.server = httptest.NewServer(g)
	t.Cleanup(f.server.Close)
	return f
}

type graphReply struct {
	status int
	header http.Header
	body   map[string]any
}

func (f *graphFixture) do(t *testing.T, method, rawURL, token string, body io.Reader) graphReply {
	t.Helper()
	if !strings.HasPrefix(rawURL, "http") {
		rawURL = f.server.URL + rawURL
	}
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := graphReply{status: resp.StatusCode, header: resp.Header}
	if err := json.NewDecoder(resp.Body).Decode(&r.body); err != nil {
		t.Fatalf("%s %s: decode: %v", method, rawURL, err)
	}
	return r
}

func (f *graphFixture) get(t *testing.T, path, token string) graphReply {
	t.Helper()
	return f.do(t, http.MethodGet, path, token, nil)
}

func errorCode(r graphReply) (code, subcode float64) {
	e, _ := r.body["error"].(map[string]any)
	code, _ = e["code"].(float64)
	subcode, _ = e["error_subcode"].(float64)
	return code, subcode
}

func keys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// walk follows paging.next from path and returns the pages' data.
func (f *graphFixture) walk(t *testing.T, path, token string) [][]any {
	t.Helper()
	var pages [][]any
	next := path
	for next != "" {
		r := f.get(t, next, token)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: status %d: %v", next, r.status, r.body)
		}
		data, _ := r.body["data"].([]any)
		pages = append(pages, data)
		paging, _ := r.body["paging"].(map[string]any)
		next, _ = paging["next"].(string)
		if len(pages) > 50 {
			t.Fatal("paging does not end")
		}
	}
	return pages
}

func TestGraphPagingWalksToTheEnd(t *testing.T) {
	f := newGraphFixture(t, 7)
	for i, status := range []string{"APPROVED", "PAUSED", "APPROVED", "APPROVED", "REJECTED", "APPROVED"} {
		if _, err := f.graph.AddTemplate(Template{WABAID: wabaA, Name: fmt.Sprintf("t%d", i), Status: status}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		path      string
		field     string
		wantSizes []int
		want      []string
	}{
		{
			name: "phone numbers", path: "/v25.0/" + wabaA + "/phone_numbers?limit=3", field: "id",
			wantSizes: []int{3, 3, 1}, want: phoneIDs(f.phones),
		},
		{
			name: "phone numbers, one page", path: "/v25.0/" + wabaA + "/phone_numbers?limit=100", field: "id",
			wantSizes: []int{7}, want: phoneIDs(f.phones),
		},
		{
			name: "templates filtered by status", path: "/v24.0/" + wabaA + "/message_templates?status=APPROVED&limit=2", field: "name",
			wantSizes: []int{2, 2}, want: []string{"t0", "t2", "t3", "t5"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages := f.walk(t, tt.path, tokenA)
			var sizes []int
			var got []string
			for _, p := range pages {
				sizes = append(sizes, len(p))
				for _, item := range p {
					got = append(got, item.(map[string]any)[tt.field].(string))
				}
			}
			if diff := cmp.Diff(tt.wantSizes, sizes); diff != "" {
				t.Errorf("page sizes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
		})
	}
}

func phoneIDs(ps []PhoneNumber) []string {
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	return ids
}

func TestGraphPagingLinks(t *testing.T) {
	f := newGraphFixture(t, 5)
	first := f.get(t, "/v25.0/"+wabaA+"/phone_numbers?limit=2&fields=status", tokenA)
	paging := first.body["paging"].(map[string]any)
	if _, ok := paging["previous"]; ok {
		t.Error("first page has a previous link")
	}
	next, err := url.Parse(paging["next"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := next.Scheme+"://"+next.Host, f.server.URL; got != want {
		t.Errorf("next link points at %s, want the request host %s", got, want)
	}
	if got := next.Query().Get("fields"); got != "status" {
		t.Errorf("next link lost fields=, has %q", got)
	}
	second := f.get(t, next.String(), tokenA)
	prev := second.body["paging"].(map[string]any)["previous"].(string)
	back := f.get(t, prev, tokenA)
	if diff := cmp.Diff(first.body["data"], back.body["data"]); diff != "" {
		t.Errorf("previous of the second page is not the first page (-first +previous):\n%s", diff)
	}
}

func TestGraphFieldsFiltering(t *testing.T) {
	f := newGraphFixture(t, 1)
	tmpl, err := f.graph.AddTemplate(Template{WABAID: wabaA, Name: "order_update", Category: "UTILITY", QualityScore: "GREEN"})
	if err != nil {
		t.Fatal(err)
	}
	phone := "/v25.0/" + f.phones[0].ID
	tests := []struct {
		name     string
		path     string
		wantKeys []string
		check    func(t *testing.T, body map[string]any)
	}{
		{
			name: "phone defaults", path: phone,
			wantKeys: []string{"code_verification_status", "display_phone_number", "id", "quality_rating", "verified_name"},
			check: func(t *testing.T, b map[string]any) {
				if got := b["display_phone_number"]; got != "+1 631-555-0000" {
					t.Errorf("display_phone_number = %v, want Graph's formatted form", got)
				}
			},
		},
		{
			name: "messaging limit only", path: phone + "?fields=whatsapp_business_manager_messaging_limit",
			wantKeys: []string{"id", "whatsapp_business_manager_messaging_limit"},
		},
		{
			name: "nested selection", path: phone + "?fields=throughput{level},quality_rating",
			wantKeys: []string{"id", "quality_rating", "throughput"},
			check: func(t *testing.T, b map[string]any) {
				if diff := cmp.Diff(map[string]any{"level": "STANDARD"}, b["throughput"]); diff != "" {
					t.Errorf("throughput (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "template quality score is an object", path: fmt.Sprintf("/v25.0/%d?fields=quality_score", tmpl.ID),
			wantKeys: []string{"id", "quality_score"},
			check: func(t *testing.T, b map[string]any) {
				q := b["quality_score"].(map[string]any)
				if q["score"] != "GREEN" {
					t.Errorf("score = %v, want GREEN", q["score"])
				}
				if _, ok := q["date"].(float64); !ok {
					t.Errorf("date = %#v, want a number", q["date"])
				}
			},
		},
		{
			name: "waba node", path: "/v25.0/" + wabaA + "?fields=currency,timezone_id",
			wantKeys: []string{"currency", "id", "timezone_id"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.get(t, tt.path, tokenA)
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %v", r.status, r.body)
			}
			if diff := cmp.Diff(tt.wantKeys, keys(r.body)); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
			if tt.check != nil {
				tt.check(t, r.body)
			}
		})
	}

	t.Run("list items honour fields", func(t *testing.T) {
		r := f.get(t, "/v25.0/"+wabaA+"/message_templates?fields=status,quality_score", tokenA)
		item := r.body["data"].([]any)[0].(map[string]any)
		if diff := cmp.Diff([]string{"id", "quality_score", "status"}, keys(item)); diff != "" {
			t.Errorf("keys (-want +got):\n%s", diff)
		}
	})
	t.Run("unknown field is error 100", func(t *testing.T) {
		r := f.get(t, phone+"?fields=colour", tokenA)
		if code, _ := errorCode(r); r.status != http.StatusBadRequest || code != 100 {
			t.Errorf("status %d code %v, want 400 and 100", r.status, code)
		}
	})
}

func TestGraphAuthAndUnknownObjects(t *testing.T) {
	f := newGraphFixture(t, 1)
	tests := []struct {
		name        string
		path        string
		token       string
		wantStatus  int
		wantCode    float64
		wantSubcode float64
	}{
		{"bearer token", "/v25.0/" + wabaA + "/phone_numbers", tokenA, 200, 0, 0},
		{"token in query", "/v25.0/" + wabaA + "/phone_numbers?access_token=" + tokenA, "", 200, 0, 0},
		{"no version prefix", "/" + wabaA + "/phone_numbers", tokenA, 200, 0, 0},
		{"missing token", "/v25.0/" + wabaA + "/phone_numbers", "", 401, 190, 0},
		{"bad token", "/v25.0/" + wabaA + "/phone_numbers", "nope", 401, 190, 0},
		{"another WABA's token", "/v25.0/" + wabaA + "/phone_numbers", tokenB, 400, 100, 33},
		{"unknown id", "/v25.0/999999999", tokenA, 400, 100, 33},
		{"unknown edge", "/v25.0/" + wabaA + "/nonsense", tokenA, 400, 2500, 0},
		{"edge on a phone number", "/v25.0/" + f.phones[0].ID + "/phone_numbers", tokenA, 400, 2500, 0},
		{"limit out of range", "/v25.0/" + wabaA + "/phone_numbers?limit=101", tokenA, 400, 100, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.get(t, tt.path, tt.token)
			code, subcode := errorCode(r)
			if r.status != tt.wantStatus || code != tt.wantCode || subcode != tt.wantSubcode {
				t.Errorf("got status %d code %v subcode %v, want %d %v %v (%v)",
					r.status, code, subcode, tt.wantStatus, tt.wantCode, tt.wantSubcode, r.body)
			}
			if tt.wantCode != 0 {
				e := r.body["error"].(map[string]any)
				for _, k := range []string{"message", "type", "fbtrace_id"} {
					if s, _ := e[k].(string); s == "" {
						t.Errorf("error.%s missing in %v", k, e)
					}
				}
			}
		})
	}
}

// usage decodes the call_count and regain estimate for one WABA.
func usage(t *testing.T, h http.Header, waba string) (callCount, regainMinutes int) {
	t.Helper()
	var u map[string][]struct {
		Type          string `json:"type"`
		CallCount     int    `json:"call_count"`
		EstimatedTime int    `json:"estimated_time_to_regain_access"`
	}
	if err := json.Unmarshal([]byte(h.Get("X-Business-Use-Case-Usage")), &u); err != nil {
		t.Fatalf("usage header %q: %v", h.Get("X-Business-Use-Case-Usage"), err)
	}
	entries := u[waba]
	if len(entries) != 1 || entries[0].Type != "whatsapp_business_management" {
		t.Fatalf("usage header %v lacks one whatsapp_business_management entry for %s", u, waba)
	}
	return entries[0].CallCount, entries[0].EstimatedTime
}

func TestGraphRateLimit(t *testing.T) {
	f := newGraphFixture(t, 1, WithCallBudget(4))
	steps := []struct {
		name       string
		advance    time.Duration
		waba       string
		token      string
		wantStatus int
		wantCount  int
		wantRegain int
	}{
		{"first call", 0, wabaA, tokenA, 200, 25, 0},
		{"second call", 10 * time.Minute, wabaA, tokenA, 200, 50, 0},
		{"third call", 10 * time.Minute, wabaA, tokenA, 200, 75, 0},
		{"last call within budget", 0, wabaA, tokenA, 200, 100, 40},
		{"over budget", time.Minute, wabaA, tokenA, 400, 100, 39},
		{"other WABA unaffected", 0, wabaB, tokenB, 200, 25, 0},
		{"still throttled", 30 * time.Minute, wabaA, tokenA, 400, 100, 9},
		{"first call left the window", 10 * time.Minute, wabaA, tokenA, 200, 100, 9},
	}
	for _, s := range steps {
		f.clock.Advance(s.advance)
		r := f.get(t, "/v25.0/"+s.waba+"/phone_numbers", s.token)
		if r.status != s.wantStatus {
			t.Fatalf("%s: status %d, want %d: %v", s.name, r.status, s.wantStatus, r.body)
		}
		if s.wantStatus != 200 {
			code, _ := errorCode(r)
			e := r.body["error"].(map[string]any)
			if code != 80008 || e["is_transient"] != true || e["type"] != "OAuthException" {
				t.Errorf("%s: error %v, want transient OAuthException 80008", s.name, e)
			}
		}
		count, regain := usage(t, r.header, s.waba)
		if count != s.wantCount || regain != s.wantRegain {
			t.Errorf("%s: call_count %d regain %d, want %d and %d", s.name, count, regain, s.wantCount, s.wantRegain)
		}
	}
}

func TestGraphSubscribedApps(t *testing.T) {
	f := newGraphFixture(t, 0, WithApp(App{ID: "555", Name: "wabsp-test", Link: "https://example.com/"}))
	path := "/v25.0/" + wabaA + "/subscribed_apps"
	listed := func() []any {
		t.Helper()
		r := f.get(t, path, tokenA)
		return r.body["data"].([]any)
	}
	if got := listed(); len(got) != 0 {
		t.Fatalf("fresh WABA lists %v", got)
	}
	if r := f.do(t, http.MethodPost, path, tokenA, nil); r.body["success"] != true {
		t.Fatalf("subscribe: %v", r.body)
	}
	want := []any{map[string]any{"whatsapp_business_api_data": map[string]any{"id": "555", "link": "https://example.com/", "name": "wabsp-test"}}}
	if diff := cmp.Diff(want, listed()); diff != "" {
		t.Errorf("after subscribe (-want +got):\n%s", diff)
	}
	body := strings.NewReader(`{"override_callback_uri":"https://tenant.example/hook","verify_token":"vt"}`)
	f.do(t, http.MethodPost, path, tokenA, body)
	subs := f.graph.Subscriptions(wabaA)
	if len(subs) != 1 || subs[0].OverrideCallbackURI != "https://tenant.example/hook" || subs[0].VerifyToken != "vt" {
		t.Errorf("override not recorded: %+v", subs)
	}
	if got := listed()[0].(map[string]any)["override_callback_uri"]; got != "https://tenant.example/hook" {
		t.Errorf("listed override = %v", got)
	}
	if r := f.do(t, http.MethodDelete, path, tokenA, nil); r.body["success"] != true {
		t.Fatalf("unsubscribe: %v", r.body)
	}
	if got := listed(); len(got) != 0 {
		t.Errorf("after unsubscribe lists %v", got)
	}
	if got := f.graph.Subscriptions(wabaB); got != nil {
		t.Errorf("WABA B subscriptions = %v, want none", got)
	}
}

func TestGraphMutatorsAndCallLog(t *testing.T) {
	f := newGraphFixture(t, 1)
	id := f.phones[0].ID
	for _, err := range []error{
		f.graph.SetQuality(id, "RED"),
		f.graph.SetStatus(id, "FLAGGED"),
		f.graph.SetMessagingLimit(id, "TIER_100K"),
		f.graph.SetThroughput(id, "HIGH"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := f.graph.SetQuality("nope", "RED"); err == nil {
		t.Error("SetQuality on an unknown number succeeded")
	}
	r := f.get(t, "/v25.0/"+id+"?fields=quality_rating,status,whatsapp_business_manager_messaging_limit,throughput", tokenA)
	want := map[string]any{
		"id": id, "quality_rating": "RED", "status": "FLAGGED",
		"whatsapp_business_manager_messaging_limit": "TIER_100K", "throughput": map[string]any{"level": "HIGH"},
	}
	if diff := cmp.Diff(want, r.body); diff != "" {
		t.Errorf("node (-want +got):\n%s", diff)
	}
	f.get(t, "/v25.0/"+wabaA+"/phone_numbers", "bad")
	type call struct {
		Method, Object, Edge, WABAID string
		Status, ErrorCode            int
	}
	var got []call
	for _, c := range f.graph.Calls() {
		got = append(got, call{c.Method, c.Object, c.Edge, c.WABAID, c.Status, c.ErrorCode})
	}
	wantCalls := []call{
		{"GET", id, "", wabaA, 200, 0},
		{"GET", wabaA, "phone_numbers", "", 401, 190},
	}
	if diff := cmp.Diff(wantCalls, got); diff != "" {
		t.Errorf("call log (-want +got):\n%s", diff)
	}
}

func TestGraphAddRejectsDuplicates(t *testing.T) {
	f := newGraphFixture(t, 0)
	if _, err := f.graph.AddTemplate(Template{WABAID: wabaA, Name: "dup", Language: "en"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		add  func() error
	}{
		{"WABA id", func() error { return f.graph.AddWABA(WABA{ID: wabaA, AccessToken: "x"}) }},
		{"template name and language", func() error {
			_, err := f.graph.AddTemplate(Template{WABAID: wabaA, Name: "dup", Language: "en"})
			return err
		}},
		{"phone number for unknown WABA", func() error {
			_, err := f.graph.AddPhoneNumber(PhoneNumber{WABAID: "missing"})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.add(); err == nil {
				t.Error("add succeeded, want an error")
			}
		})
	}
}
