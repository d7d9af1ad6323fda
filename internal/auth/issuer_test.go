package auth

import (
	"context"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

func TestIssueVerifyRoundTrip(t *testing.T) {
	key := mustKey(t)
	ring := mustKeyring(t, key)
	iss := NewIssuer(ring, testIssuer, testAudience, testTTL)
	clk := &clock{t: t0}
	v := newTestVerifier(ring, &fakeChecker{}, 0, clk)

	tests := []struct {
		name string
		p    Principal
	}{
		{"tenant", tenantPrincipal()},
		{"partner", Principal{ClientID: uuid.New(), ClientName: "p", Role: RolePartner, PartnerID: uuid.New(), Scopes: DefaultScopes(RolePartner)}},
		{"admin", Principal{ClientID: uuid.New(), ClientName: "ops", Role: RoleAdmin, Scopes: []string{ScopeAdmin}}},
		{"no scopes", Principal{ClientID: uuid.New(), Role: RoleTenant, TenantID: uuid.New()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token, exp, err := iss.Issue(tc.p, t0.Add(400e6)) // sub-second part is dropped
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			if want := t0.Add(testTTL); !exp.Equal(want) {
				t.Errorf("expiresAt = %v, want %v", exp, want)
			}
			got, err := v.Verify(context.Background(), token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if diff := cmp.Diff(tc.p, got); diff != "" {
				t.Errorf("principal mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIssuedTokenShape(t *testing.T) {
	key := mustKey(t)
	ring := mustKeyring(t, key)
	p := tenantPrincipal()
	token, _, err := NewIssuer(ring, testIssuer, testAudience, testTTL).Issue(p, t0)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	parsed, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		t.Fatalf("ParseUnverified: %v", err)
	}
	wantHeader := map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": key.ID}
	if diff := cmp.Diff(wantHeader, parsed.Header); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	c := parsed.Claims.(jwt.MapClaims)
	jti, _ := c["jti"].(string)
	if _, err := uuid.Parse(jti); err != nil {
		t.Errorf("jti %q is not a uuid: %v", jti, err)
	}
	delete(c, "jti")
	wantClaims := jwt.MapClaims{
		"iss":   testIssuer,
		"aud":   []any{testAudience},
		"sub":   p.ClientID.String(),
		"iat":   float64(t0.Unix()),
		"nbf":   float64(t0.Unix()),
		"exp":   float64(t0.Add(testTTL).Unix()),
		"role":  "tenant",
		"name":  p.ClientName,
		"tid":   p.TenantID.String(),
		"scope": strings.Join(p.Scopes, " "),
	}
	if diff := cmp.Diff(wantClaims, c); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
}

func TestIssueRejectsInvalidPrincipal(t *testing.T) {
	iss := NewIssuer(mustKeyring(t, mustKey(t)), testIssuer, testAudience, testTTL)
	id := uuid.New()
	tests := []struct {
		name string
		p    Principal
	}{
		{"no client id", Principal{Role: RoleAdmin}},
		{"unknown role", Principal{ClientID: id, Role: "root"}},
		{"tenant without tenant id", Principal{ClientID: id, Role: RoleTenant}},
		{"partner without partner id", Principal{ClientID: id, Role: RolePartner}},
		{"admin with tenant id", Principal{ClientID: id, Role: RoleAdmin, TenantID: uuid.New()}},
		{"tenant with partner id", Principal{ClientID: id, Role: RoleTenant, TenantID: uuid.New(), PartnerID: uuid.New()}},
		{"admin scope on tenant", Principal{ClientID: id, Role: RoleTenant, TenantID: uuid.New(), Scopes: []string{ScopeAdmin}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if token, _, err := iss.Issue(tc.p, t0); err == nil {
				t.Fatalf("Issue succeeded with %q, want an error", token)
			}
		})
	}
}
