// Package tenantstest seeds tenants, partners, API clients, WABAs and phone
// numbers for other packages' tests. Every function fails the test on error,
// so a test reads as its setup and its assertions only. Ids that must be
// unique across tenants (slugs, Meta ids) are random, so tests sharing a
// database do not collide.
package tenantstest

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"testing"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/config"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/secretbox"
	"github.com/wabsp/wabsp/tenants"
)

// Seeder is the actor seeded rows are recorded as in the audit log.
var Seeder = tenants.System("test seed")

// NewService returns a tenants.Service on db with a fresh encryption key.
func NewService(tb testing.TB, db *pg.DB) *tenants.Service {
	tb.Helper()
	key, err := secretbox.GenerateKey()
	if err != nil {
		tb.Fatalf("tenantstest: generate key: %v", err)
	}
	box, err := secretbox.New([]config.NamedKey{key})
	if err != nil {
		tb.Fatalf("tenantstest: keyring: %v", err)
	}
	return tenants.NewService(db, box)
}

// Digits returns n random decimal digits, not starting with 0, for Meta ids
// and phone numbers.
func Digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		b[i] = byte('0' + d.Int64())
	}
	if b[0] == '0' {
		b[0] = '1'
	}
	return string(b)
}

// MustCreateTenant creates a tenant named name with a random slug; opts may
// override any field of the input.
func MustCreateTenant(tb testing.TB, svc *tenants.Service, name string, opts ...func(*tenants.NewTenant)) tenants.Tenant {
	tb.Helper()
	in := tenants.NewTenant{Name: name, Slug: "t-" + Digits(12)}
	for _, o := range opts {
		o(&in)
	}
	t, err := svc.CreateTenant(context.Background(), Seeder, in)
	if err != nil {
		tb.Fatalf("tenantstest: create tenant %q: %v", name, err)
	}
	return t
}

// MustSuspendTenant suspends a tenant.
func MustSuspendTenant(tb testing.TB, svc *tenants.Service, tenantID uuid.UUID) tenants.Tenant {
	tb.Helper()
	t, err := svc.SuspendTenant(context.Background(), Seeder, tenantID, "suspended by a test")
	if err != nil {
		tb.Fatalf("tenantstest: suspend tenant: %v", err)
	}
	return t
}

// MustCreatePartner creates a partner and assigns it the given tenants.
func MustCreatePartner(tb testing.TB, svc *tenants.Service, name string, tenantIDs ...uuid.UUID) tenants.Partner {
	tb.Helper()
	ctx := context.Background()
	p, err := svc.CreatePartner(ctx, Seeder, tenants.NewPartner{Name: name})
	if err != nil {
		tb.Fatalf("tenantstest: create partner %q: %v", name, err)
	}
	for _, id := range tenantIDs {
		if err := svc.AssignTenant(ctx, Seeder, p.ID, id); err != nil {
			tb.Fatalf("tenantstest: assign tenant %s to partner %q: %v", id, name, err)
		}
	}
	return p
}

// Credentials are a seeded client with its secret.
type Credentials struct {
	Client tenants.Client
	Secret string
}

// MustCreateClient issues an API client. owner is the tenant id for
// auth.RoleTenant, the partner id for auth.RolePartner and ignored for
// auth.RoleAdmin. No scopes means the role's defaults.
func MustCreateClient(tb testing.TB, svc *tenants.Service, role auth.Role, owner uuid.UUID, scopes ...string) Credentials {
	tb.Helper()
	in := tenants.NewClient{Name: fmt.Sprintf("%s client", role), Role: role, Scopes: scopes}
	switch role {
	case auth.RoleTenant:
		in.TenantID = owner
	case auth.RolePartner:
		in.PartnerID = owner
	}
	c, secret, err := svc.CreateClient(context.Background(), Seeder, in)
	if err != nil {
		tb.Fatalf("tenantstest: create %s client: %v", role, err)
	}
	return Credentials{Client: c, Secret: secret}
}

// MustCreateWABA registers a WABA with a random waba_id and, when token is
// not empty, an access token.
func MustCreateWABA(tb testing.TB, svc *tenants.Service, tenantID uuid.UUID, token string) tenants.WABA {
	tb.Helper()
	w, err := svc.CreateWABA(context.Background(), Seeder, tenantID, tenants.NewWABA{
		WABAID: Digits(15), Name: "test WABA", AccessToken: token,
	})
	if err != nil {
		tb.Fatalf("tenantstest: create WABA: %v", err)
	}
	return w
}

// MustCreatePhoneNumber registers a phone number with random ids under a WABA.
func MustCreatePhoneNumber(tb testing.TB, svc *tenants.Service, tenantID, wabaRef uuid.UUID) tenants.PhoneNumber {
	tb.Helper()
	p, err := svc.CreatePhoneNumber(context.Background(), Seeder, tenantID, tenants.NewPhoneNumber{
		WABARef: wabaRef, PhoneNumberID: Digits(15), DisplayPhoneNumber: "+1" + Digits(10), VerifiedName: "Test Number",
	})
	if err != nil {
		tb.Fatalf("tenantstest: create phone number: %v", err)
	}
	return p
}
