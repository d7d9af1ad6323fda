package workers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/insights"
	"github.com/wabsp/wabsp/internal/graph"
	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/internal/redistest"
	"github.com/wabsp/wabsp/sending"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

type sendFixture struct {
	db       *pg.DB
	waba     string
	tasks    *SendTasks
	store    *sending.Store
	sim      *metasim.Graph
	tenantID uuid.UUID
	phone    string
	newSend  func(t *testing.T, to string) uuid.UUID
}

// newSendFixture is a tenant with a WABA and a CONNECTED number, both known
// to the simulated Graph API.
func newSendFixture(t testing.TB) *sendFixture {
	db := pgtest.New(t)
	_, rdb := redistest.New(t)
	svc := tenantstest.NewService(t, db)
	tenant := tenantstest.MustCreateTenant(t, svc, "A")
	w := tenantstest.MustCreateWABA(t, svc, tenant.ID, "EAAJtokenA")
	sim := metasim.NewGraph()
	if err := sim.AddWABA(metasim.WABA{ID: w.WABAID, Name: "A", AccessToken: "EAAJtokenA"}); err != nil {
		t.Fatal(err)
	}
	p, err := sim.AddPhoneNumber(metasim.PhoneNumber{WABAID: w.WABAID, DisplayPhoneNumber: "16315550001"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	client, err := graph.New(srv.URL, "v25.0")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = db.InTenantTx(ctx, tenant.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO quality_numbers (id, tenant_id, waba_id, display_digits, phone_number_id,
			status, throughput, discovered_via, first_seen_at) VALUES (gen_random_uuid(), $1, $2, '16315550001', $3,
			'CONNECTED', 'STANDARD', 'poll', now())`, tenant.ID, w.WABAID, p.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	store := sending.NewStore(db)
	f := &sendFixture{db: db, waba: w.WABAID, store: store, sim: sim, tenantID: tenant.ID, phone: p.ID,
		tasks: &SendTasks{Deliverer: &sending.Deliverer{Store: store, Pacer: sending.NewPacer(rdb, "test:"),
			Graph: client, Tokens: svc, Annotator: insights.NewService(db)}}}
	f.newSend = func(t *testing.T, to string) uuid.UUID {
		id := uuid.New()
		err := db.InTenantTx(ctx, tenant.ID, func(tx pgx.Tx) error {
			_, err := sending.Insert(ctx, tx, sending.Send{ID: id, TenantID: tenant.ID, PhoneNumberID: p.ID, WabaID: w.WABAID,
				Recipient: to, State: sending.StateQueued, Labels: sending.Labels{CampaignID: "spring"},
				Message: sending.Message{Type: sending.TypeText, Text: &sending.Text{Body: "hi"}}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	return f
}

func (f *sendFixture) run(id uuid.UUID) error {
	payload, _ := json.Marshal(SendPayload{TenantID: f.tenantID, SendID: id})
	return f.tasks.handleSend(context.Background(), asynq.NewTask(TypeSendMessage, payload))
}

func TestSendTask(t *testing.T) {
	tests := []struct {
		name string
		fail *metasim.SendFailure
		// waits is how many runs are held back without a retry spent.
		waits     int
		permanent bool
		want      sending.State
		wantCode  int
	}{
		{name: "sent", want: sending.StateSent},
		{name: "pair rate retried then sent", fail: &metasim.SendFailure{Code: 131056, Status: 400, Times: 1}, waits: 1,
			want: sending.StateSent, wantCode: 0},
		{name: "permanent error not retried", fail: &metasim.SendFailure{Code: 131026, Status: 400, Times: 1},
			permanent: true, want: sending.StateFailed, wantCode: 131026},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newSendFixture(t)
			to := "16505551234"
			if tc.fail != nil {
				fail := *tc.fail
				fail.To = to
				f.sim.FailSends(fail)
			}
			id := f.newSend(t, to)
			for i := range tc.waits {
				err := f.run(id)
				if wait, ok := graphWait(err); !ok || wait != sending.PairPause {
					t.Fatalf("run %d = %v; want a wait of %s that spends no retry", i, err, sending.PairPause)
				}
			}
			err := f.run(id)
			switch {
			case tc.permanent && !errors.Is(err, asynq.SkipRetry):
				t.Fatalf("run = %v; want SkipRetry", err)
			case !tc.permanent && err != nil:
				t.Fatalf("run = %v", err)
			}
			s, err := f.store.Get(context.Background(), f.tenantID, id)
			if err != nil {
				t.Fatal(err)
			}
			if s.State != tc.want || s.ErrorCode != tc.wantCode {
				t.Errorf("send = %s code %d; want %s code %d", s.State, s.ErrorCode, tc.want, tc.wantCode)
			}
			sent := f.sim.Sent()
			if tc.want == sending.StateSent && (len(sent) != 1 || sent[0].WAMID != s.Wamid) {
				t.Errorf("simulator accepted %+v; send has wamid %q", sent, s.Wamid)
			}
			if tc.want != sending.StateSent && len(sent) != 0 {
				t.Errorf("simulator accepted %d sends of a failed send", len(sent))
			}
			if err := f.run(id); err != nil || len(f.sim.Sent()) != len(sent) {
				t.Errorf("a redelivered task sent again (%v)", err)
			}
		})
	}
}
