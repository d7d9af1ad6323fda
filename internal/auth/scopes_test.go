package auth

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
)

func TestDefaultScopes(t *testing.T) {
	nonAdmin := slices.DeleteFunc(AllScopes(), func(s string) bool { return s == ScopeAdmin })
	tests := []struct {
		name string
		role Role
		want []string
	}{
		{"admin gets everything", RoleAdmin, AllScopes()},
		{"partner gets all but admin", RolePartner, nonAdmin},
		{"tenant gets all but admin", RoleTenant, nonAdmin},
		{"unknown role gets nothing", "root", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := DefaultScopes(tc.role)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("DefaultScopes(%q) (-want +got):\n%s", tc.role, diff)
			}
			if err := ValidateScopes(tc.role, got); tc.role.Valid() && err != nil {
				t.Errorf("ValidateScopes(DefaultScopes(%q)) = %v", tc.role, err)
			}
		})
	}
}

func TestAllScopesReturnsACopy(t *testing.T) {
	AllScopes()[0] = "mutated"
	if AllScopes()[0] == "mutated" {
		t.Fatal("AllScopes exposes the package's slice")
	}
}

func TestValidateScopes(t *testing.T) {
	tests := []struct {
		name    string
		role    Role
		scopes  []string
		wantErr bool
	}{
		{"empty", RoleTenant, nil, false},
		{"known scopes", RoleTenant, []string{ScopeOptinsWrite, ScopeWebhooksRead}, false},
		{"admin scope for admin", RoleAdmin, []string{ScopeAdmin}, false},
		{"admin scope for partner", RolePartner, []string{ScopeAdmin}, true},
		{"admin scope for tenant", RoleTenant, []string{ScopeQualityRead, ScopeAdmin}, true},
		{"unknown scope", RoleAdmin, []string{"reports:write"}, true},
		{"case matters", RoleTenant, []string{"Quality:Read"}, true},
		{"unknown role", "root", []string{ScopeQualityRead}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateScopes(tc.role, tc.scopes)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ValidateScopes = %v, want error: %v", err, tc.wantErr)
			}
			if err != nil && apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("code = %s, want %s", apperr.CodeOf(err), apperr.Invalid)
			}
		})
	}
}

func TestHasScope(t *testing.T) {
	tests := []struct {
		name   string
		scopes []string
		ask    string
		want   bool
	}{
		{"granted", []string{ScopeQualityRead}, ScopeQualityRead, true},
		{"not granted", []string{ScopeQualityRead}, ScopeBillingRead, false},
		{"read does not imply write", []string{ScopeOptinsRead}, ScopeOptinsWrite, false},
		{"admin implies any scope", []string{ScopeAdmin}, ScopeBillingWrite, true},
		{"admin implies admin", []string{ScopeAdmin}, ScopeAdmin, true},
		{"no scopes", nil, ScopeQualityRead, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Principal{Role: RoleAdmin, Scopes: tc.scopes}
			if got := p.HasScope(tc.ask); got != tc.want {
				t.Errorf("HasScope(%q) with %v = %v, want %v", tc.ask, tc.scopes, got, tc.want)
			}
		})
	}
}

func TestPrincipalContext(t *testing.T) {
	if _, ok := PrincipalFrom(context.Background()); ok {
		t.Fatal("PrincipalFrom found a principal in an empty context")
	}
	want := Principal{ClientID: uuid.New(), Role: RoleAdmin, Scopes: []string{ScopeAdmin}}
	got, ok := PrincipalFrom(WithPrincipal(context.Background(), want))
	if !ok {
		t.Fatal("PrincipalFrom found nothing after WithPrincipal")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("principal (-want +got):\n%s", diff)
	}
}
