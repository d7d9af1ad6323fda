package tenants_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/tenants"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"15550783881", "+15550783881", true},
		{"+1 631-555-5555", "+16315555555", true},
		{"+44 (20) 7946.0018", "+442079460018", true},
		{"  +4915112345678 ", "+4915112345678", true},
		{"0151 1234567", "", false},
		{"+1 555 CALL NOW", "", false},
		{"12345", "", false},
		{"1234567890123456", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := tenants.NormalizePhone(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("NormalizePhone(%q) = %q, %v; want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestPhoneNumbers(t *testing.T) {
	svc := tenantstest.NewService(t, pgtest.New(t))
	ctx := context.Background()
	a := tenantstest.MustCreateTenant(t, svc, "A")
	b := tenantstest.MustCreateTenant(t, svc, "B")
	w1 := tenantstest.MustCreateWABA(t, svc, a.ID, "")
	w2 := tenantstest.MustCreateWABA(t, svc, a.ID, "")
	wb := tenantstest.MustCreateWABA(t, svc, b.ID, "")

	p, err := svc.CreatePhoneNumber(ctx, admin, a.ID, tenants.NewPhoneNumber{
		WABARef: w1.ID, PhoneNumberID: "106540352242922", DisplayPhoneNumber: "+1 555-078-3881", VerifiedName: "Lucky Shrub"})
	if err != nil {
		t.Fatal(err)
	}
	if p.DisplayPhoneNumber != "+15550783881" || p.WABARef != w1.ID || p.TenantID != a.ID {
		t.Errorf("created number = %+v", p)
	}
	other := tenantstest.MustCreatePhoneNumber(t, svc, a.ID, w2.ID)

	tests := []struct {
		name   string
		tenant uuid.UUID
		in     tenants.NewPhoneNumber
		code   apperr.Code
		field  string
	}{
		{"another tenant's WABA", a.ID, tenants.NewPhoneNumber{WABARef: wb.ID, PhoneNumberID: "1", DisplayPhoneNumber: "+15550000001"}, apperr.Invalid, "waba_ref"},
		{"number held by another tenant", b.ID, tenants.NewPhoneNumber{WABARef: wb.ID, PhoneNumberID: p.PhoneNumberID, DisplayPhoneNumber: "+15550000001"}, apperr.Conflict, ""},
		{"bad display number", a.ID, tenants.NewPhoneNumber{WABARef: w1.ID, PhoneNumberID: "2", DisplayPhoneNumber: "call us"}, apperr.Invalid, "display_phone_number"},
		{"non-numeric id", a.ID, tenants.NewPhoneNumber{WABARef: w1.ID, PhoneNumberID: "x", DisplayPhoneNumber: "+15550000001"}, apperr.Invalid, "phone_number_id"},
		{"no WABA", a.ID, tenants.NewPhoneNumber{PhoneNumberID: "3", DisplayPhoneNumber: "+15550000001"}, apperr.Invalid, "waba_ref"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.CreatePhoneNumber(ctx, admin, tc.tenant, tc.in)
			wantCode(t, err, tc.code, tc.field)
		})
	}

	all, err := svc.ListPhoneNumbers(ctx, a.ID, tenants.PhoneFilter{}, tenants.Page{})
	if err != nil || len(all.Items) != 2 || all.Items[0].ID != other.ID {
		t.Errorf("numbers of A = %+v, %v; want 2, newest first", all.Items, err)
	}
	of1, err := svc.ListPhoneNumbers(ctx, a.ID, tenants.PhoneFilter{WABARef: w1.ID}, tenants.Page{})
	if err != nil || len(of1.Items) != 1 || of1.Items[0].ID != p.ID {
		t.Errorf("numbers of WABA 1 = %+v, %v", of1.Items, err)
	}
	if _, err := svc.GetPhoneNumber(ctx, b.ID, p.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("B reads A's number: err = %v, want not_found", err)
	}
	if err := svc.DeletePhoneNumber(ctx, admin, b.ID, p.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("B deletes A's number: err = %v, want not_found", err)
	}
	if err := svc.DeleteWABA(ctx, admin, a.ID, w2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GetPhoneNumber(ctx, a.ID, other.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("number of a deleted WABA: err = %v, want not_found", err)
	}
	if err := svc.DeletePhoneNumber(ctx, admin, a.ID, p.ID); err != nil {
		t.Errorf("delete: %v", err)
	}
}
