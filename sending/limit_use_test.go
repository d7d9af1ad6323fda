package sending

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

func TestLimitUses(t *testing.T) {
	db := pgtest.New(t)
	svc := tenantstest.NewService(t, db)
	ctx := context.Background()
	busy := tenantstest.MustCreateTenant(t, svc, "Busy")
	unlimited := tenantstest.MustCreateTenant(t, svc, "Unlimited")
	quiet := tenantstest.MustCreateTenant(t, svc, "Quiet")
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO quality_accounts (tenant_id, waba_id, messaging_limit) VALUES
			($1, 'w1', 'TIER_10K'), ($1, 'w2', 'TIER_250'), ($2, 'w3', 'TIER_UNLIMITED')`, busy.ID, unlimited.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []Send{templateSend(busy.ID, "15550001", StateSent), templateSend(busy.ID, "15550001", StateQueued),
		templateSend(busy.ID, "15550002", StateSending), templateSend(busy.ID, "15550003", StateRefused),
		templateSend(unlimited.ID, "15550009", StateSent)} {
		insertSend(t, db, s)
	}
	got, err := NewStore(db).LimitUses(ctx, []uuid.UUID{busy.ID, unlimited.ID, quiet.ID}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		tenant   uuid.UUID
		want     LimitUse
		headroom int
		known    bool
	}{
		{"lowest tier counts, refused sends do not", busy.ID, LimitUse{Limit: "TIER_250", Recipients: 2}, 248, true},
		{"unlimited has no headroom figure", unlimited.ID, LimitUse{Limit: "TIER_UNLIMITED", Recipients: 1}, 0, false},
		{"no limit reported", quiet.ID, LimitUse{}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := got[tt.tenant]
			if diff := cmp.Diff(tt.want, u); diff != "" {
				t.Errorf("limit use (-want +got):\n%s", diff)
			}
			if n, ok := u.Headroom(); n != tt.headroom || ok != tt.known {
				t.Errorf("headroom = %d, %v; want %d, %v", n, ok, tt.headroom, tt.known)
			}
		})
	}
	later, err := NewStore(db).LimitUses(ctx, []uuid.UUID{busy.ID}, time.Now().Add(25*time.Hour))
	if err != nil || later[busy.ID].Recipients != 0 {
		t.Errorf("a day later: %+v, %v; want no recipients", later[busy.ID], err)
	}
}
