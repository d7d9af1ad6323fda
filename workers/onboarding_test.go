package workers

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/internal/config"
	"github.com/wabsp/wabsp/internal/graph"
	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/internal/redistest"
	"github.com/wabsp/wabsp/internal/secretbox"
	"github.com/wabsp/wabsp/quality"
	"github.com/wabsp/wabsp/tenants"
	"github.com/wabsp/wabsp/tenants/onboarding"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

const (
	signupAppID     = "100000000000001"
	signupAppSecret = "app-secret-for-tests"
	overrideURL     = "https://bsp.example.com/webhooks/meta"
)

type onboardEnv struct {
	db       *pg.DB
	tenants  *tenants.Service
	sim      *metasim.Graph
	service  *onboarding.Service
	queue    Onboarder
	runner   *onboarding.Runner
	sequence int
}

// newOnboardEnv runs the real onboarding handler in an asynq server on a
// Redis database of its own, against the Graph simulator. Retries come
// after 20 ms instead of seconds.
func newOnboardEnv(t *testing.T) *onboardEnv {
	t.Helper()
	db := pgtest.New(t)
	_, rdb := redistest.New(t)
	key, err := secretbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.New([]config.NamedKey{key})
	if err != nil {
		t.Fatal(err)
	}
	sim := metasim.NewGraph()
	sim.SetAppSecret(signupAppSecret)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	client, err := graph.New(srv.URL, "v25.0")
	if err != nil {
		t.Fatal(err)
	}
	q, err := quality.NewService(db, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := tenants.NewService(db, box)
	svc := onboarding.NewService(db, box)
	queue := Onboarder{Client: asynq.NewClientFromRedisClient(rdb)}
	tasks := &OnboardingTasks{Queue: queue, Runner: &onboarding.Runner{
		Service: svc, Meta: client, WABAs: ts,
		Watcher: OnboardingWatcher{Poller: &QualityPoller{Quality: q, Tenants: ts, Graph: client}},
		App:     onboarding.App{ID: signupAppID, Secret: signupAppSecret, CallbackOverrideURL: overrideURL, VerifyToken: "verify-me"},
	}}
	mux := asynq.NewServeMux()
	tasks.Register(mux)
	server := asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency: 4, Queues: QueueWeights, LogLevel: asynq.FatalLevel, DelayedTaskCheckInterval: 20 * time.Millisecond,
		TaskCheckInterval: 20 * time.Millisecond,
		RetryDelayFunc:    func(int, error, *asynq.Task) time.Duration { return 20 * time.Millisecond },
		IsFailure:         func(err error) bool { _, budget := graphWait(err); return !budget },
	})
	if err := server.Start(mux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(server.Shutdown)
	return &onboardEnv{db: db, tenants: ts, sim: sim, service: svc, queue: queue, runner: tasks.Runner}
}

// signup is what Embedded Signup returned for one business, known to the
// simulator: a WABA with one number and one template, and a fresh code.
type signup struct {
	tenantID uuid.UUID
	in       onboarding.New
	token    string
}

func (e *onboardEnv) signup(t *testing.T, name string) signup {
	t.Helper()
	e.sequence++
	tenant := tenantstest.MustCreateTenant(t, e.tenants, name)
	s := signup{tenantID: tenant.ID, token: "business-token-" + name, in: onboarding.New{
		Code: "code-" + name, WABAID: fmt.Sprintf("61%013d", e.sequence), PhoneNumberID: fmt.Sprintf("62%013d", e.sequence),
	}}
	if err := e.sim.AddWABA(metasim.WABA{ID: s.in.WABAID, Name: name, AccessToken: s.token}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.AddPhoneNumber(metasim.PhoneNumber{ID: s.in.PhoneNumberID, WABAID: s.in.WABAID,
		DisplayPhoneNumber: fmt.Sprintf("1555%07d", e.sequence)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.AddTemplate(metasim.Template{WABAID: s.in.WABAID, Name: "welcome", Status: "APPROVED"}); err != nil {
		t.Fatal(err)
	}
	e.sim.AddSignupCode(s.in.Code, s.token)
	return s
}

// start does what the API does: record the onboarding and queue it.
func (e *onboardEnv) start(t *testing.T, tenantID uuid.UUID, in onboarding.New) (onboarding.Onboarding, bool) {
	t.Helper()
	o, created, err := e.service.Create(context.Background(), tenantID, "test", in)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.queue.StartOnboarding(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	return o, created
}

// settle waits until the onboarding succeeded or failed.
func (e *onboardEnv) settle(t *testing.T, tenantID, id uuid.UUID) onboarding.Onboarding {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		o, err := e.service.Get(context.Background(), tenantID, id)
		if err != nil {
			t.Fatal(err)
		}
		if o.State == onboarding.StateSucceeded || o.State == onboarding.StateFailed {
			return o
		}
		if time.Now().After(deadline) {
			t.Fatalf("onboarding still %s: %+v", o.State, o.Steps)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stepSummary is a step without its times.
type stepSummary struct {
	Name, State string
	Attempts    int
	Code        int
}

func summary(o onboarding.Onboarding) []stepSummary {
	out := make([]stepSummary, len(o.Steps))
	for i, s := range o.Steps {
		out[i] = stepSummary{Name: s.Name, State: s.State, Attempts: s.Attempts}
		if s.LastError != nil {
			out[i].Code = s.LastError.Code
		}
	}
	return out
}

// want lists every step succeeded after one attempt, with the overrides
// given.
func want(over ...stepSummary) []stepSummary {
	out := make([]stepSummary, len(onboarding.Steps))
	for i, name := range onboarding.Steps {
		out[i] = stepSummary{Name: name, State: onboarding.StateSucceeded, Attempts: 1}
		for _, o := range over {
			if o.Name == name {
				out[i] = o
			}
		}
	}
	return out
}

func (e *onboardEnv) events(t *testing.T, tenantID uuid.UUID, typ string) int {
	t.Helper()
	var n int
	err := e.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM domain_events WHERE tenant_id = $1 AND type = $2`,
		tenantID, typ).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *onboardEnv) exchanges(code string) int {
	n := 0
	for _, c := range e.sim.Calls() {
		if c.Object == "oauth" && c.Query.Get("code") == code {
			n++
		}
	}
	return n
}

func TestOnboardingAgainstSimulator(t *testing.T) {
	e := newOnboardEnv(t)
	ctx := context.Background()

	t.Run("full success", func(t *testing.T) {
		s := e.signup(t, "success")
		o, created := e.start(t, s.tenantID, s.in)
		if !created {
			t.Fatal("first request did not create")
		}
		got := e.settle(t, s.tenantID, o.ID)
		if diff := cmp.Diff(want(), summary(got)); diff != "" || got.State != onboarding.StateSucceeded {
			t.Fatalf("state %s, steps (-want +got):\n%s", got.State, diff)
		}
		token, err := e.tenants.AccessToken(ctx, s.tenantID, *got.WABARef)
		if err != nil || token != s.token {
			t.Fatalf("stored token %q, %v; want %q", token, err, s.token)
		}
		sub := e.sim.Subscription(s.in.WABAID)
		if sub == nil || sub.OverrideCallbackURI != overrideURL || sub.VerifyToken != "verify-me" {
			t.Fatalf("subscription %+v, want override %s", sub, overrideURL)
		}
		pin, err := e.service.PIN(ctx, s.tenantID, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if simPIN, n := e.sim.Registration(s.in.PhoneNumberID); simPIN != pin || n != 1 || !got.PINGenerated {
			t.Fatalf("registered %d times with PIN %q, want once with the generated %q", n, simPIN, pin)
		}
		numbers, err := e.tenants.ListPhoneNumbers(ctx, s.tenantID, tenants.PhoneFilter{}, tenants.Page{})
		if err != nil || len(numbers.Items) != 1 || numbers.Items[0].PhoneNumberID != s.in.PhoneNumberID {
			t.Fatalf("tenant's numbers %+v, %v", numbers.Items, err)
		}
		if n := e.events(t, s.tenantID, onboarding.EventCompleted); n != 1 {
			t.Fatalf("%d onboarding.completed events, want 1", n)
		}
	})

	t.Run("duplicate request changes nothing", func(t *testing.T) {
		s := e.signup(t, "duplicate")
		first, _ := e.start(t, s.tenantID, s.in)
		done := e.settle(t, s.tenantID, first.ID)
		again := s.in
		again.Code, again.PIN = "another-code", "654321"
		second, created := e.start(t, s.tenantID, again)
		if created || second.ID != first.ID {
			t.Fatalf("second request created %t, id %s, want the existing %s", created, second.ID, first.ID)
		}
		time.Sleep(200 * time.Millisecond)
		after, err := e.service.Get(ctx, s.tenantID, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(done, after); diff != "" {
			t.Fatalf("onboarding changed (-before +after):\n%s", diff)
		}
		if n := e.exchanges(s.in.Code) + e.exchanges("another-code"); n != 1 {
			t.Fatalf("%d code exchanges, want 1", n)
		}
		if _, n := e.sim.Registration(s.in.PhoneNumberID); n != 1 {
			t.Fatalf("registered %d times, want 1", n)
		}
	})

	transient := []struct {
		name string
		op   string
		code int
		step string
	}{
		{"code exchange unavailable", metasim.OpExchangeCode, 2, onboarding.StepExchangeCode},
		{"subscription unavailable", metasim.OpSubscribeApp, 2, onboarding.StepSubscribeApp},
		{"register rate limited", metasim.OpRegister, 133016, onboarding.StepRegisterNumber},
		{"numbers unavailable", metasim.OpPhoneNumbers, 2, onboarding.StepFetchNumbers},
		{"templates unavailable", metasim.OpTemplates, 2, onboarding.StepFetchTemplates},
	}
	for _, tc := range transient {
		t.Run("retried: "+tc.name, func(t *testing.T) {
			s := e.signup(t, strings.ReplaceAll(tc.name, " ", "-"))
			e.sim.FailNext(tc.op, 2, tc.code)
			o, _ := e.start(t, s.tenantID, s.in)
			got := e.settle(t, s.tenantID, o.ID)
			w := want(stepSummary{Name: tc.step, State: onboarding.StateSucceeded, Attempts: 3, Code: tc.code})
			if diff := cmp.Diff(w, summary(got)); diff != "" || got.State != onboarding.StateSucceeded {
				t.Fatalf("state %s, steps (-want +got):\n%s", got.State, diff)
			}
		})
	}

	permanent := []struct {
		name  string
		op    string
		code  int
		step  string
		retry string // the op to clear before retrying through the service
	}{
		{"invalid code", metasim.OpExchangeCode, 100, onboarding.StepExchangeCode, ""},
		{"token rejected on subscribe", metasim.OpSubscribeApp, 190, onboarding.StepSubscribeApp, metasim.OpSubscribeApp},
		{"numbers refused", metasim.OpPhoneNumbers, 100, onboarding.StepFetchNumbers, metasim.OpPhoneNumbers},
	}
	for _, tc := range permanent {
		t.Run("fails for good: "+tc.name, func(t *testing.T) {
			s := e.signup(t, strings.ReplaceAll(tc.name, " ", "-"))
			e.sim.FailNext(tc.op, -1, tc.code)
			t.Cleanup(func() { e.sim.FailNext(tc.op, 0, 0) })
			o, _ := e.start(t, s.tenantID, s.in)
			got := e.settle(t, s.tenantID, o.ID)
			if got.State != onboarding.StateFailed {
				t.Fatalf("state %s, want failed", got.State)
			}
			failed := failedStep(got)
			if failed == nil || failed.Name != tc.step || failed.Attempts != 1 || failed.LastError == nil ||
				failed.LastError.Code != tc.code || failed.LastError.FBTraceID == "" {
				t.Fatalf("failed step %+v, want %s failed once with Meta's %d and its trace id", failed, tc.step, tc.code)
			}
			if n := e.events(t, s.tenantID, onboarding.EventStepFailed); n != 1 {
				t.Fatalf("%d onboarding.step_failed events, want 1", n)
			}
			if tc.retry == "" {
				return
			}
			e.sim.FailNext(tc.retry, 0, 0)
			retried, err := e.service.Retry(ctx, s.tenantID, o.ID, "", "")
			if err != nil {
				t.Fatal(err)
			}
			if err := e.queue.StartOnboarding(ctx, retried); err != nil {
				t.Fatal(err)
			}
			got = e.settle(t, s.tenantID, o.ID)
			if got.State != onboarding.StateSucceeded || got.Run != 2 {
				t.Fatalf("after retry: state %s run %d, steps %+v", got.State, got.Run, summary(got))
			}
		})
	}

	t.Run("PIN mismatch names Meta's error and a retry with the right PIN succeeds", func(t *testing.T) {
		s := e.signup(t, "pin")
		e.sim.SetPIN(s.in.PhoneNumberID, "111111")
		s.in.PIN = "222222"
		o, _ := e.start(t, s.tenantID, s.in)
		got := e.settle(t, s.tenantID, o.ID)
		failed := failedStep(got)
		if failed == nil || failed.Name != onboarding.StepRegisterNumber || failed.LastError.Code != 133005 {
			t.Fatalf("failed step %+v, want register_number with 133005", failed)
		}
		if _, err := e.service.Retry(ctx, s.tenantID, o.ID, "", "12"); err == nil {
			t.Fatal("retry with a 2-digit PIN accepted")
		}
		retried, err := e.service.Retry(ctx, s.tenantID, o.ID, "", "111111")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.queue.StartOnboarding(ctx, retried); err != nil {
			t.Fatal(err)
		}
		got = e.settle(t, s.tenantID, o.ID)
		w := want(stepSummary{Name: onboarding.StepRegisterNumber, State: onboarding.StateSucceeded, Attempts: 2, Code: 133005})
		if diff := cmp.Diff(w, summary(got)); diff != "" || got.State != onboarding.StateSucceeded {
			t.Fatalf("state %s, steps (-want +got):\n%s", got.State, diff)
		}
		if n := e.exchanges(s.in.Code); n != 1 {
			t.Fatalf("code exchanged %d times, want once", n)
		}
	})

	t.Run("a transient failure on the last attempt fails the step", func(t *testing.T) {
		s := e.signup(t, "exhausted")
		e.sim.FailNext(metasim.OpExchangeCode, 1, 2)
		o, _, err := e.service.Create(ctx, s.tenantID, "test", s.in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.runner.Run(ctx, s.tenantID, o.ID, onboarding.StepExchangeCode, true); err == nil {
			t.Fatal("the failed attempt reported success")
		}
		got := mustGet(t, e, s.tenantID, o.ID)
		if f := failedStep(got); got.State != onboarding.StateFailed || f == nil || f.LastError.Code != 2 {
			t.Fatalf("state %s, steps %+v", got.State, summary(got))
		}
		// A task of the stopped run that comes late does nothing.
		if _, err := e.runner.Run(ctx, s.tenantID, o.ID, onboarding.StepExchangeCode, false); !errors.Is(err, onboarding.ErrStopped) {
			t.Fatalf("late task: %v, want ErrStopped", err)
		}
		if n := e.exchanges(s.in.Code); n != 1 {
			t.Fatalf("%d exchanges, want 1", n)
		}
	})

	t.Run("isolation", func(t *testing.T) {
		a := e.signup(t, "owner")
		o, _ := e.start(t, a.tenantID, a.in)
		e.settle(t, a.tenantID, o.ID)
		other := tenantstest.MustCreateTenant(t, e.tenants, "intruder")
		if _, err := e.service.Get(ctx, other.ID, o.ID); err == nil {
			t.Fatal("another tenant read the onboarding")
		}
		list, err := e.service.List(ctx, other.ID, onboarding.Filter{}, tenants.Page{})
		if err != nil || len(list.Items) != 0 {
			t.Fatalf("another tenant lists %d onboardings, %v", len(list.Items), err)
		}
		// The same WABA signed up again under another tenant cannot take it.
		e.sim.AddSignupCode("code-intruder", a.token)
		in := a.in
		in.Code = "code-intruder"
		taken, _ := e.start(t, other.ID, in)
		got := e.settle(t, other.ID, taken.ID)
		if f := failedStep(got); f == nil || f.Name != onboarding.StepStoreToken {
			t.Fatalf("intruder's onboarding: %+v", summary(got))
		}
		if token, err := e.tenants.AccessToken(ctx, a.tenantID, *mustGet(t, e, a.tenantID, o.ID).WABARef); err != nil || token != a.token {
			t.Fatalf("owner's token now %q, %v", token, err)
		}
	})
}

func mustGet(t *testing.T, e *onboardEnv, tenantID, id uuid.UUID) onboarding.Onboarding {
	t.Helper()
	o, err := e.service.Get(context.Background(), tenantID, id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func failedStep(o onboarding.Onboarding) *onboarding.Step {
	for i := range o.Steps {
		if o.Steps[i].State == onboarding.StateFailed {
			return &o.Steps[i]
		}
	}
	return nil
}
