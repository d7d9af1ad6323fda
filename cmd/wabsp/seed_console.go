package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/tenants"
)

// demoConsolePassword is the password of every demo console user. The demo
// listens on localhost only; a real deployment invites users instead.
const demoConsolePassword = "wabsp-demo-console"

type consoleLogin struct {
	role  auth.Role
	email string
	owner uuid.UUID
}

// seedConsoleUsers makes one console user per role and (re)sets its
// password, so a demo started again on the same database prints logins
// that work.
func seedConsoleUsers(ctx context.Context, svc *tenants.Service, partnerID, tenantID uuid.UUID) ([]consoleLogin, error) {
	system := auth.Principal{ClientID: uuid.New(), Role: auth.RoleAdmin, Scopes: []string{auth.ScopeAdmin}}
	logins := []consoleLogin{
		{auth.RoleAdmin, "admin@demo.wabsp.test", uuid.Nil},
		{auth.RolePartner, "partner@demo.wabsp.test", partnerID},
		{auth.RoleTenant, "tenant@demo.wabsp.test", tenantID},
	}
	for _, l := range logins {
		n := tenants.NewUser{Email: l.email, Role: l.role}
		switch l.role {
		case auth.RolePartner:
			n.PartnerID = l.owner
		case auth.RoleTenant:
			n.TenantID = l.owner
		}
		inv, err := svc.InviteUser(ctx, system, n)
		token := inv.Token
		if isConflict(err) {
			id, lookupErr := svc.UserIDByEmail(ctx, l.email)
			if lookupErr != nil {
				return nil, lookupErr
			}
			token, err = svc.IssuePasswordReset(ctx, system, id)
		}
		if err != nil {
			return nil, fmt.Errorf("demo console user %s: %w", l.email, err)
		}
		if err := svc.ResetPassword(ctx, token, demoConsolePassword, time.Now()); err != nil {
			return nil, err
		}
	}
	return logins, nil
}

func printConsoleLogins(w io.Writer, base string, logins []consoleLogin) {
	fmt.Fprintf(w, "Console: %s/console/ (password for every user: %s)\n", base, demoConsolePassword)
	for _, l := range logins {
		fmt.Fprintf(w, "  %-8s %s\n", l.role, l.email)
	}
	fmt.Fprintln(w)
}
