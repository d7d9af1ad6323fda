package graph_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/internal/graph"
	"github.com/wabsp/wabsp/internal/metasim"
)

const token = "system-user-token"

// clock is a settable time shared by the simulator and the client.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	sim    *metasim.Graph
	srv    *httptest.Server
	clock  *clock
	client *graph.Client
}

func newEnv(t *testing.T, budget int) *env {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	sim := metasim.NewGraph(metasim.WithClock(c.now), metasim.WithCallBudget(budget))
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	client, err := graph.New(srv.URL, "v25.0", graph.WithClock(c.now))
	if err != nil {
		t.Fatal(err)
	}
	return &env{sim: sim, srv: srv, clock: c, client: client}
}

func (e *env) waba(t *testing.T, id string, numbers, templates int) {
	t.Helper()
	if err := e.sim.AddWABA(metasim.WABA{ID: id, Name: "w" + id, AccessToken: token}); err != nil {
		t.Fatal(err)
	}
	for i := range numbers {
		if _, err := e.sim.AddPhoneNumber(metasim.PhoneNumber{WABAID: id, DisplayPhoneNumber: fmt.Sprintf("1555%07d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range templates {
		if _, err := e.sim.AddTemplate(metasim.Template{WABAID: id, Name: fmt.Sprintf("t%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestListingPagesThroughCursors(t *testing.T) {
	e := newEnv(t, 200)
	e.waba(t, "111", 230, 3)
	if err := e.sim.SetQuality(e.sim.PhoneNumbers("111")[229].ID, "RED"); err != nil {
		t.Fatal(err)
	}
	tpl := e.sim.Templates("111")[1]
	if err := e.sim.SetTemplateQuality(tpl.ID, "YELLOW"); err != nil {
		t.Fatal(err)
	}

	numbers, err := e.client.PhoneNumbers(context.Background(), token, "111")
	if err != nil {
		t.Fatal(err)
	}
	if len(numbers) != 230 {
		t.Fatalf("numbers = %d, want 230", len(numbers))
	}
	last := numbers[229]
	if last.QualityRating != "RED" || last.Status != "CONNECTED" || last.Throughput.Level != "STANDARD" ||
		last.MessagingLimit != "TIER_10K" || last.DisplayPhoneNumber == "" {
		t.Errorf("last number = %+v", last)
	}
	templates, err := e.client.Templates(context.Background(), token, "111")
	if err != nil {
		t.Fatal(err)
	}
	got := templates[1]
	want := graph.Template{ID: graph.FlexID(fmt.Sprint(tpl.ID)), Name: "t1", Language: "en_US", Status: "APPROVED",
		Category: "UTILITY", QualityScore: graph.QualityScore{Score: "YELLOW", Date: e.clock.now().Unix()}, RejectedReason: "NONE"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("template (-want +got):\n%s", diff)
	}
	var pages []string
	for _, c := range e.sim.Calls() {
		pages = append(pages, fmt.Sprintf("%s after=%t", c.Edge, c.Query.Get("after") != ""))
	}
	wantPages := []string{"phone_numbers after=false", "phone_numbers after=true", "phone_numbers after=true", "message_templates after=false"}
	if diff := cmp.Diff(wantPages, pages); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestSubscribe(t *testing.T) {
	e := newEnv(t, 200)
	e.waba(t, "222", 0, 0)
	if err := e.client.Subscribe(context.Background(), token, "222"); err != nil {
		t.Fatal(err)
	}
	if subs := e.sim.Subscriptions("222"); len(subs) != 1 {
		t.Errorf("subscriptions = %+v, want one", subs)
	}
}

func TestGraphErrorIsTyped(t *testing.T) {
	e := newEnv(t, 200)
	e.waba(t, "333", 1, 0)
	_, err := e.client.PhoneNumbers(context.Background(), "wrong-token", "333")
	var gerr *graph.Error
	if !errors.As(err, &gerr) {
		t.Fatalf("err = %v, want *graph.Error", err)
	}
	if gerr.Code != 190 || gerr.Status != http.StatusUnauthorized || gerr.FBTraceID == "" || gerr.Temporary() {
		t.Errorf("error = %+v", gerr)
	}
	if _, limited := graph.RetryAfter(err); limited {
		t.Error("an auth error must not read as a rate limit")
	}
}

// TestSlowsDownAboveThreshold spends a small budget: calls go freely up to
// 75%, then the client spaces them out and holds back a call that comes too
// soon without sending it, so Meta never has to refuse one.
func TestSlowsDownAboveThreshold(t *testing.T) {
	e := newEnv(t, 8)
	e.waba(t, "444", 1, 0)
	ctx := context.Background()
	var outcome []string
	for range 12 {
		_, err := e.client.PhoneNumbers(ctx, token, "444")
		wait, limited := graph.RetryAfter(err)
		switch {
		case err == nil:
			outcome = append(outcome, fmt.Sprintf("ok %d%%", e.client.UsagePercent("444")))
		case limited:
			outcome = append(outcome, "held "+wait.String())
			e.clock.add(wait)
		default:
			t.Fatal(err)
		}
	}
	// 6/8 calls is 75%: the next waits one minute; at 87% the gap is
	// 1m + 12% of the hour; at 8/8 Meta estimates 51 minutes until the
	// first six calls leave the window, after which 3/8 remain.
	want := []string{
		"ok 12%", "ok 25%", "ok 37%", "ok 50%", "ok 62%", "ok 75%",
		"held 1m0s", "ok 87%", "held 8m12s", "ok 100%", "held 51m0s", "ok 37%",
	}
	if diff := cmp.Diff(want, outcome); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, c := range e.sim.Calls() {
		if c.ErrorCode != 0 {
			t.Errorf("call at %s answered %d", c.At, c.ErrorCode)
		}
	}
}

// TestThrottledByMeta makes another caller exhaust the WABA's budget: Meta's
// 80008 becomes a RateLimitError with the advised wait, and the client stays
// away until then instead of retrying.
func TestThrottledByMeta(t *testing.T) {
	e := newEnv(t, 3)
	e.waba(t, "555", 1, 0)
	ctx := context.Background()
	other, err := graph.New(e.srv.URL, "v25.0", graph.WithClock(e.clock.now), graph.WithSlowDown(99, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := other.PhoneNumbers(ctx, token, "555"); err != nil {
			t.Fatal(err)
		}
		e.clock.add(time.Minute)
	}
	_, err = e.client.PhoneNumbers(ctx, token, "555")
	var rl *graph.RateLimitError
	if !errors.As(err, &rl) || rl.Err == nil || rl.Err.Code != 80008 || rl.RetryAfter != 57*time.Minute {
		t.Fatalf("err = %#v, want Meta's 80008 with a 57m wait", err)
	}
	calls := len(e.sim.Calls())
	e.clock.add(30 * time.Minute)
	if _, err := e.client.PhoneNumbers(ctx, token, "555"); err == nil {
		t.Fatal("call within the advised wait went ahead")
	}
	if n := len(e.sim.Calls()); n != calls {
		t.Errorf("the client called Meta %d more times during the advised wait", n-calls)
	}
	e.clock.add(29 * time.Minute)
	if _, err := e.client.PhoneNumbers(ctx, token, "555"); err != nil {
		t.Errorf("after the wait: %v", err)
	}
}

func TestParseUsage(t *testing.T) {
	tests := map[string]struct {
		header string
		want   map[string][]graph.Usage
		bad    bool
	}{
		"empty": {header: "", want: map[string][]graph.Usage{}},
		"meta example": {
			header: `{"102290129340398":[{"type":"whatsapp_business_management","call_count":76,"total_cputime":10,"total_time":20,"estimated_time_to_regain_access":0}]}`,
			want:   map[string][]graph.Usage{"102290129340398": {{Type: "whatsapp_business_management", CallCount: 76, TotalCPUTime: 10, TotalTime: 20}}},
		},
		"not json": {header: "76%", bad: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := graph.ParseUsage(tc.header)
			if (err != nil) != tc.bad {
				t.Fatalf("err = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); !tc.bad && diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if p := (graph.Usage{CallCount: 10, TotalCPUTime: 80, TotalTime: 20}).Percent(); p != 80 {
		t.Errorf("Percent = %d, want the binding share 80", p)
	}
}
