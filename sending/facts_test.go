package sending

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

func TestReadFacts(t *testing.T) {
	db := pgtest.New(t)
	svc := tenantstest.NewService(t, db)
	a := tenantstest.MustCreateTenant(t, svc, "A")
	b := tenantstest.MustCreateTenant(t, svc, "B")
	ctx := context.Background()
	err := db.InTenantTx(ctx, a.ID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO quality_numbers (id, tenant_id, waba_id, display_digits, phone_number_id,
			status, throughput, discovered_via, first_seen_at) VALUES (gen_random_uuid(), $1, '111', '15550001', '9001',
			'CONNECTED', 'HIGH', 'poll', now())`, a.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO quality_accounts (tenant_id, waba_id, messaging_limit) VALUES ($1, '111', 'TIER_2K')`, a.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO quality_templates (tenant_id, template_id, waba_id, name, language, status,
			category, discovered_via, first_seen_at) VALUES ($1, '77', '111', 'spring', 'en_US', 'PAUSED', 'MARKETING', 'poll', now())`, a.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		tenantID uuid.UUID
		phone    string
		number   NumberState
		waba     string
		template TemplateState
	}{
		{name: "known", tenantID: a.ID, phone: "9001",
			number: NumberState{Status: "CONNECTED", MessagingLimit: "TIER_2K", Throughput: "HIGH"}, waba: "111",
			template: TemplateState{Known: true, Status: "PAUSED", Category: "MARKETING", BodyVariables: -1}},
		{name: "unknown number", tenantID: a.ID, phone: "9002",
			template: TemplateState{Known: true, Status: "PAUSED", Category: "MARKETING", BodyVariables: -1}},
		{name: "another tenant sees nothing", tenantID: b.ID, phone: "9001",
			template: TemplateState{BodyVariables: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var (
				n    NumberState
				waba string
				tpl  TemplateState
			)
			err := db.InTenantTx(ctx, tc.tenantID, func(tx pgx.Tx) error {
				var err error
				if n, waba, err = ReadNumber(ctx, tx, tc.tenantID, tc.phone); err != nil {
					return err
				}
				tpl, err = ReadTemplate(ctx, tx, tc.tenantID, "111", "spring", "en_US")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.number, n); diff != "" || waba != tc.waba {
				t.Errorf("number (-want +got):\n%s waba %q", diff, waba)
			}
			if diff := cmp.Diff(tc.template, tpl); diff != "" {
				t.Errorf("template (-want +got):\n%s", diff)
			}
		})
	}
}
