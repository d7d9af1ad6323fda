package quality_test

import (
	"testing"

	"github.com/google/uuid"
)

func TestTenantRisks(t *testing.T) {
	e := newEnv(t)
	calm := e.seedTenant(t, "calm", "UTC")
	troubled := e.seedMain(t)
	e.poll(t, troubled, t1, "RED", "FLAGGED")
	tests := []struct {
		name string
		ids  []uuid.UUID
		want []uuid.UUID
	}{
		{"none asked", nil, nil},
		{"one of two", []uuid.UUID{calm}, []uuid.UUID{calm}},
		{"riskiest first", []uuid.UUID{calm, troubled}, []uuid.UUID{troubled, calm}},
		{"unknown tenant left out", []uuid.UUID{uuid.New(), calm}, []uuid.UUID{calm}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.svc.TenantRisks(e.ctx, tt.ids)
			if err != nil {
				t.Fatal(err)
			}
			var ids []uuid.UUID
			for _, r := range got {
				ids = append(ids, r.TenantID)
			}
			if len(ids) != len(tt.want) {
				t.Fatalf("tenants %v, want %v", ids, tt.want)
			}
			for i := range ids {
				if ids[i] != tt.want[i] {
					t.Errorf("tenants %v, want %v", ids, tt.want)
				}
			}
			if len(got) > 0 && got[0].TenantID == troubled && got[0].WorstNumberRating != "RED" {
				t.Errorf("troubled tenant worst rating %q, want RED", got[0].WorstNumberRating)
			}
		})
	}
}
