package main

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/tenants"
)

func TestClientCreatePrintsTheSecretOnce(t *testing.T) {
	db, url := pgtest.NewWithURL(t)
	t.Setenv("WABSP_DATABASE_URL", url)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"client", "create", "--role", "admin", "--name", "ops"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`client_id:\s+(\S+)\nclient_secret:\s+(\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no credentials in output:\n%s", out.String())
	}
	p, err := tenants.NewService(db, nil).Authenticate(context.Background(), m[1], m[2])
	if err != nil {
		t.Fatalf("printed credentials do not authenticate: %v", err)
	}
	if p.Role != auth.RoleAdmin || !p.HasScope(auth.ScopeAdmin) {
		t.Fatalf("principal %+v, want an admin", p)
	}
}

func TestClientCreateRejectsBadInput(t *testing.T) {
	_, url := pgtest.NewWithURL(t)
	t.Setenv("WABSP_DATABASE_URL", url)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", []string{"client"}, "subcommand"},
		{"tenant role without tenant", []string{"client", "create", "--role", "tenant", "--name", "x"}, "tenant_id"},
		{"unknown role", []string{"client", "create", "--role", "root", "--name", "x"}, "role"},
		{"tenant is not a uuid", []string{"client", "create", "--role", "tenant", "--name", "x", "--tenant", "acme"}, "--tenant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}
