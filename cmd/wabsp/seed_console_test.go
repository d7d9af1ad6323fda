package main

import (
	"context"
	"testing"
	"time"

	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

// The demo can start again on the same database: the second seeding must
// succeed and leave every printed login working.
func TestSeedConsoleUsersTwice(t *testing.T) {
	db := pgtest.New(t)
	svc := tenantstest.NewService(t, db)
	tn := tenantstest.MustCreateTenant(t, svc, "Acme")
	p := tenantstest.MustCreatePartner(t, svc, "Agency", tn.ID)
	ctx := context.Background()
	for run := 1; run <= 2; run++ {
		logins, err := seedConsoleUsers(ctx, svc, p.ID, tn.ID)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		for _, l := range logins {
			u, err := svc.Login(ctx, l.email, demoConsolePassword, time.Now())
			if err != nil || u.Role != l.role {
				t.Errorf("run %d: login %s: role %q, %v", run, l.email, u.Role, err)
			}
		}
	}
}
