package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/config"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/tenants"
)

// runClient manages API clients from the command line; `client create
// --role admin` is how an operator gets the first admin credentials.
func runClient(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "usage: wabsp client create --role admin|partner|tenant --name NAME [--tenant UUID] [--partner UUID] [--scopes a,b]")
		return errors.New("client: unknown or missing subcommand")
	}
	fs := flag.NewFlagSet("client create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "", "admin, partner or tenant")
	name := fs.String("name", "", "a name that says who uses the client")
	tenant := fs.String("tenant", "", "tenant id (role tenant)")
	partner := fs.String("partner", "", "partner id (role partner)")
	scopes := fs.String("scopes", "", "comma-separated scopes (default: all the role may have)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	in := tenants.NewClient{Name: *name, Role: auth.Role(*role)}
	var err error
	if in.TenantID, err = optionalUUID("--tenant", *tenant); err != nil {
		return err
	}
	if in.PartnerID, err = optionalUUID("--partner", *partner); err != nil {
		return err
	}
	if *scopes != "" {
		in.Scopes = strings.Split(*scopes, ",")
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := tenants.NewService(db, nil)
	c, secret, err := svc.CreateClient(ctx, tenants.System("wabsp client create"), in)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "client_id:     %s\nclient_secret: %s\nrole:          %s\nscopes:        %s\n\nThe secret is shown only now; store it safely.\n",
		c.ClientID, secret, c.Role, strings.Join(c.Scopes, " "))
	return nil
}

func optionalUUID(flagName, s string) (uuid.UUID, error) {
	if s == "" {
		return uuid.Nil, nil
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, fmt.Errorf("%s: not a UUID: %q", flagName, s)
	}
	return id, nil
}

func openDB(ctx context.Context, cfg config.Config) (*pg.DB, error) {
	return pg.Open(ctx, cfg.DatabaseURL, cfg.DatabaseMaxConn)
}
