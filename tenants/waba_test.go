package tenants_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/tenants"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

const token = "EAAJB0secret0system0user0token"

func TestWABAAccessTokenAtRest(t *testing.T) {
	db := pgtest.New(t)
	svc := tenantstest.NewService(t, db)
	ctx := context.Background()
	tn := tenantstest.MustCreateTenant(t, svc, "Owner")

	w, err := svc.CreateWABA(ctx, admin, tn.ID, tenants.NewWABA{WABAID: "102290129340398", Name: "Main", AccessToken: token})
	if err != nil {
		t.Fatal(err)
	}
	if !w.HasAccessToken || w.AccessTokenKeyID == "" || w.Currency != "USD" || w.TimeZone != "UTC" {
		t.Errorf("created WABA = %+v", w)
	}
	raw := func(id uuid.UUID) []byte {
		t.Helper()
		var enc []byte
		if err := db.QueryRow(ctx, `SELECT access_token_enc FROM wabas WHERE id = $1`, id).Scan(&enc); err != nil {
			t.Fatal(err)
		}
		return enc
	}
	enc := raw(w.ID)
	if len(enc) == 0 || bytes.Contains(enc, []byte(token)) {
		t.Fatalf("stored column %q holds the token in the clear", enc)
	}
	got, err := svc.AccessToken(ctx, tn.ID, w.ID)
	if err != nil || got != token {
		t.Fatalf("AccessToken = %q, %v; want the token", got, err)
	}

	// The row id is bound into the ciphertext: moved to another row, it
	// must not decrypt.
	other := tenantstest.MustCreateWABA(t, svc, tn.ID, "")
	if _, err := db.Exec(ctx, `UPDATE wabas SET access_token_enc = $1, access_token_kid = $2 WHERE id = $3`,
		enc, w.AccessTokenKeyID, other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AccessToken(ctx, tn.ID, other.ID); err == nil {
		t.Error("a ciphertext copied to another WABA decrypted")
	}

	rotated, err := svc.UpdateWABA(ctx, admin, tn.ID, w.ID, tenants.WABAPatch{AccessToken: ptr("EAAJB0rotated")})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(raw(w.ID), enc) || !rotated.HasAccessToken {
		t.Error("rotating the token kept the old ciphertext")
	}
	if got, _ := svc.AccessToken(ctx, tn.ID, w.ID); got != "EAAJB0rotated" {
		t.Errorf("AccessToken after rotation = %q", got)
	}
	cleared, err := svc.UpdateWABA(ctx, admin, tn.ID, w.ID, tenants.WABAPatch{ClearAccessToken: true})
	if err != nil || cleared.HasAccessToken || cleared.AccessTokenKeyID != "" {
		t.Fatalf("cleared WABA = %+v, %v", cleared, err)
	}
	if _, err := svc.AccessToken(ctx, tn.ID, w.ID); !apperr.Is(err, apperr.FailedPrecondition) {
		t.Errorf("AccessToken with none stored: err = %v, want failed_precondition", err)
	}
}

func TestWABATenancy(t *testing.T) {
	svc := tenantstest.NewService(t, pgtest.New(t))
	ctx := context.Background()
	a := tenantstest.MustCreateTenant(t, svc, "A")
	b := tenantstest.MustCreateTenant(t, svc, "B")
	w := tenantstest.MustCreateWABA(t, svc, a.ID, token)

	create := []struct {
		name   string
		tenant uuid.UUID
		in     tenants.NewWABA
		code   apperr.Code
		field  string
	}{
		{"waba_id held by another tenant", b.ID, tenants.NewWABA{WABAID: w.WABAID}, apperr.Conflict, ""},
		{"waba_id held by the same tenant", a.ID, tenants.NewWABA{WABAID: w.WABAID}, apperr.Conflict, ""},
		{"non-numeric waba_id", a.ID, tenants.NewWABA{WABAID: "12ab"}, apperr.Invalid, "waba_id"},
		{"non-numeric business_id", a.ID, tenants.NewWABA{WABAID: "1", BusinessID: "x"}, apperr.Invalid, "business_id"},
		{"unknown tenant", uuid.New(), tenants.NewWABA{WABAID: "1"}, apperr.NotFound, ""},
	}
	for _, tc := range create {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.CreateWABA(ctx, admin, tc.tenant, tc.in)
			wantCode(t, err, tc.code, tc.field)
		})
	}

	t.Run("other tenant sees nothing", func(t *testing.T) {
		if _, err := svc.GetWABA(ctx, b.ID, w.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("GetWABA: err = %v, want not_found", err)
		}
		if _, err := svc.AccessToken(ctx, b.ID, w.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("AccessToken: err = %v, want not_found", err)
		}
		if _, err := svc.UpdateWABA(ctx, admin, b.ID, w.ID, tenants.WABAPatch{Name: ptr("x")}); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("UpdateWABA: err = %v, want not_found", err)
		}
		if err := svc.DeleteWABA(ctx, admin, b.ID, w.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("DeleteWABA: err = %v, want not_found", err)
		}
		list, err := svc.ListWABAs(ctx, b.ID, tenants.Page{})
		if err != nil || len(list.Items) != 0 {
			t.Errorf("ListWABAs of B = %+v, %v", list.Items, err)
		}
	})

	if _, err := svc.UpdateWABA(ctx, admin, a.ID, w.ID, tenants.WABAPatch{AccessToken: ptr("x"), ClearAccessToken: true}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("token and clear together: err = %v, want invalid", err)
	}
	got, err := svc.GetWABA(ctx, a.ID, w.ID)
	if err != nil || got.Name != w.Name || !got.HasAccessToken {
		t.Errorf("WABA after refused updates = %+v, %v", got, err)
	}
	if err := svc.DeleteWABA(ctx, admin, a.ID, w.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GetWABA(ctx, a.ID, w.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("deleted WABA: err = %v, want not_found", err)
	}
	if _, err := svc.CreateWABA(ctx, admin, b.ID, tenants.NewWABA{WABAID: w.WABAID}); err != nil {
		t.Errorf("a deleted WABA's id could not be registered again: %v", err)
	}
}

func TestWABAWithoutCipher(t *testing.T) {
	svc := tenants.NewService(pgtest.New(t), nil)
	tn := tenantstest.MustCreateTenant(t, svc, "Owner")
	_, err := svc.CreateWABA(context.Background(), admin, tn.ID, tenants.NewWABA{WABAID: "1", AccessToken: token})
	wantCode(t, err, apperr.FailedPrecondition, "")
	if _, err := svc.CreateWABA(context.Background(), admin, tn.ID, tenants.NewWABA{WABAID: "1"}); err != nil {
		t.Errorf("a WABA without a token needs no cipher: %v", err)
	}
}
