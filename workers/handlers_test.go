package workers

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/internal/redistest"
	"github.com/wabsp/wabsp/webhooks"
)

// newHandlers wires the handlers to a fresh database and Redis database,
// with one tenant owning the WABA and number of Meta's examples.
func newHandlers(t *testing.T) (*handlers, uuid.UUID) {
	t.Helper()
	db := pgtest.New(t)
	_, rdb := redistest.New(t)
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	svc, err := webhooks.NewService(db, prometheus.NewRegistry(), log)
	if err != nil {
		t.Fatal(err)
	}
	tenant, waba := uuid.New(), uuid.New()
	_, err = db.Exec(context.Background(), `
		WITH t AS (INSERT INTO tenants (id, name, slug) VALUES ($1, 'Acme', 'acme')),
		     w AS (INSERT INTO wabas (id, tenant_id, waba_id) VALUES ($2, $1, '102290129340398'))
		INSERT INTO phone_numbers (id, tenant_id, waba_ref, phone_number_id, display_phone_number)
		VALUES ($3, $1, $2, '106540352242922', '+15550783881')`, tenant, waba, uuid.New())
	if err != nil {
		t.Fatal(err)
	}
	h := &handlers{
		Deps:  Deps{Log: log, DB: db, Redis: rdb, Client: asynq.NewClientFromRedisClient(rdb), Webhooks: svc, TenantSlots: 1, ArchiveRetention: time.Hour},
		slots: tenantSlots{rdb: rdb, max: 1},
	}
	return h, tenant
}

// drainApply runs every queued apply task, as a worker would, whether it is
// pending or still waiting in its tenant's group to be merged.
func drainApply(t *testing.T, h *handlers, tenant uuid.UUID) int {
	t.Helper()
	insp := asynq.NewInspectorFromRedisClient(h.Redis)
	var tasks []*asynq.TaskInfo
	for _, list := range []func() ([]*asynq.TaskInfo, error){
		func() ([]*asynq.TaskInfo, error) { return insp.ListPendingTasks(QueueDefault) },
		func() ([]*asynq.TaskInfo, error) { return insp.ListAggregatingTasks(QueueDefault, applyGroup(tenant)) },
	} {
		got, err := list()
		if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
			t.Fatal(err)
		}
		tasks = append(tasks, got...)
	}
	for _, ti := range tasks {
		if err := h.handleApply(context.Background(), asynq.NewTask(ti.Type, ti.Payload)); err != nil {
			t.Fatalf("apply: %v", err)
		}
		if err := insp.DeleteTask(QueueDefault, ti.ID); err != nil {
			t.Fatal(err)
		}
	}
	return len(tasks)
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../shared/meta/fixtures/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIntakeRoutesAndApplies(t *testing.T) {
	h, tenant := newHandlers(t)
	ctx := context.Background()
	bodies := []webhooks.Body{
		{Raw: fixture(t, "messages-3.json"), ReceivedAt: time.Now(), AppID: "app"},
		{Raw: fixture(t, "messages-1.json"), ReceivedAt: time.Now(), AppID: "app"},
		{Raw: []byte("not json"), ReceivedAt: time.Now(), AppID: "app"},
	}
	task := NewMetaIntakeTask(bodies)
	for range 2 { // a redelivered intake task changes nothing
		if err := h.handleIntake(ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	if n := drainApply(t, h, tenant); n != 1 {
		t.Fatalf("%d apply tasks, want one for the one tenant", n)
	}
	var statuses, inbound, poison int
	err := h.DB.QueryRow(ctx, `SELECT (SELECT count(*) FROM message_statuses WHERE tenant_id = $1),
		(SELECT count(*) FROM inbound_messages WHERE tenant_id = $1),
		(SELECT count(*) FROM webhook_archive WHERE body = 'not json')`, tenant).Scan(&statuses, &inbound, &poison)
	if err != nil {
		t.Fatal(err)
	}
	if statuses != 1 || inbound != 1 || poison != 1 {
		t.Fatalf("statuses %d, inbound %d, poison archived %d: want 1 each", statuses, inbound, poison)
	}
}

func TestIntakePoisonTaskIsNotRetried(t *testing.T) {
	h, _ := newHandlers(t)
	err := h.handleIntake(context.Background(), asynq.NewTask(TypeMetaIntake, []byte{42}))
	if !errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("got %v, want SkipRetry", err)
	}
}

func TestReplayRecordsWhatItDid(t *testing.T) {
	h, tenant := newHandlers(t)
	ctx := context.Background()
	if err := h.handleIntake(ctx, NewMetaIntakeTask([]webhooks.Body{{Raw: fixture(t, "messages-3.json"), ReceivedAt: time.Now()}})); err != nil {
		t.Fatal(err)
	}
	drainApply(t, h, tenant)
	var id int64
	if err := h.DB.QueryRow(ctx, `SELECT id FROM webhook_archive`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(ReplayPayload{IDs: []int64{id}})
	if err := h.handleReplay(ctx, asynq.NewTask(TypeReplay, payload)); err != nil {
		t.Fatal(err)
	}
	drainApply(t, h, tenant)
	var detail map[string]int
	if err := h.DB.QueryRow(ctx, `SELECT detail FROM maintenance_runs WHERE task = $1`, TypeReplay).Scan(&detail); err != nil {
		t.Fatal(err)
	}
	if detail["bodies"] != 1 || detail["changes"] != 1 {
		t.Fatalf("replay recorded %v, want one body with one change", detail)
	}
	var statuses int
	if err := h.DB.QueryRow(ctx, `SELECT count(*) FROM message_statuses`).Scan(&statuses); err != nil || statuses != 1 {
		t.Fatalf("%d statuses after replay (err %v), want still 1", statuses, err)
	}
}

func TestTenantSlots(t *testing.T) {
	h, tenant := newHandlers(t)
	ctx := context.Background()
	s := h.slots
	soon := time.Now().Add(time.Minute)
	steps := []struct {
		name   string
		do     func() (bool, error)
		wantOK bool
	}{
		{"first holder gets the slot", func() (bool, error) { return s.acquire(ctx, tenant, "a", soon) }, true},
		{"second holder waits", func() (bool, error) { return s.acquire(ctx, tenant, "b", soon) }, false},
		{"another tenant is not held up", func() (bool, error) { return s.acquire(ctx, uuid.New(), "c", soon) }, true},
		{"released slot is taken", func() (bool, error) {
			if err := s.release(ctx, tenant, "a"); err != nil {
				return false, err
			}
			return s.acquire(ctx, tenant, "b", time.Now().Add(-time.Second))
		}, true},
		{"a holder past its deadline frees the slot", func() (bool, error) { return s.acquire(ctx, tenant, "d", soon) }, true},
	}
	for _, st := range steps {
		ok, err := st.do()
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if ok != st.wantOK {
			t.Fatalf("%s: got %v, want %v", st.name, ok, st.wantOK)
		}
	}
}

func TestApplyWaitsWhenTenantIsBusy(t *testing.T) {
	h, tenant := newHandlers(t)
	ctx := context.Background()
	if ok, err := h.slots.acquire(ctx, tenant, "other-task", time.Now().Add(time.Minute)); !ok || err != nil {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	task := NewMetaApplyTask(ApplyPayload{TenantID: tenant})
	err := h.handleApply(ctx, task)
	if !errors.Is(err, errTenantBusy) {
		t.Fatalf("got %v, want errTenantBusy", err)
	}
	if d := retryDelay(0, err, task); d > time.Second {
		t.Fatalf("busy tenant retried after %s, want under a second", d)
	}
}

func TestArchiveRetentionDeletesOldBodies(t *testing.T) {
	h, _ := newHandlers(t)
	ctx := context.Background()
	old := webhooks.Body{Raw: fixture(t, "messages-1.json"), ReceivedAt: time.Now().Add(-2 * h.ArchiveRetention)}
	fresh := webhooks.Body{Raw: fixture(t, "messages-2.json"), ReceivedAt: time.Now()}
	if err := h.handleIntake(ctx, NewMetaIntakeTask([]webhooks.Body{old, fresh})); err != nil {
		t.Fatal(err)
	}
	if err := h.handleArchiveRetention(ctx, NewArchiveRetentionTask()); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := h.DB.QueryRow(ctx, `SELECT count(*) FROM webhook_archive`).Scan(&left); err != nil || left != 1 {
		t.Fatalf("%d bodies left (err %v), want only the fresh one", left, err)
	}
	var detail map[string]any
	if err := h.DB.QueryRow(ctx, `SELECT detail FROM maintenance_runs WHERE task = $1`, TypeArchiveRetention).Scan(&detail); err != nil {
		t.Fatal(err)
	}
	if detail["deleted"] != float64(1) {
		t.Fatalf("run recorded %v, want deleted 1", detail)
	}
}
