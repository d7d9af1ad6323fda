package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/tenants"
)

// The demo's client businesses: three tenants in three markets, each with
// two WABAs. Acme's first WABA and number are the ids Meta's documentation
// examples use, so a fixture posted by hand lands on a tenant too.
var demoTenants = []struct {
	name, slug, tz, currency string
	wabas                    []demoWABA
}{
	{"Acme Retail", "acme-retail", "America/New_York", "USD", []demoWABA{
		{"102290129340398", "Acme Retail US", []demoNumber{{"106540352242922", "+15550783881", "Acme Retail"}}},
		{"102290129340399", "Acme Retail Support", []demoNumber{{"106540352242923", "+15550783882", "Acme Support"}, {"106540352242924", "+15550783883", "Acme Returns"}}},
	}},
	{"Batik Nusantara", "batik-nusantara", "Asia/Jakarta", "IDR", []demoWABA{
		{"204400000000001", "Batik Nusantara", []demoNumber{{"204500000000001", "+6281234500001", "Batik Nusantara"}, {"204500000000002", "+6281234500002", "Batik CS"}}},
		{"204400000000002", "Batik Nusantara Promo", []demoNumber{{"204500000000003", "+6281234500003", "Batik Promo"}}},
	}},
	{"Clínica Sol", "clinica-sol", "America/Sao_Paulo", "BRL", []demoWABA{
		{"305500000000001", "Clínica Sol Agendamentos", []demoNumber{{"305600000000001", "+5511987650001", "Clínica Sol"}}},
		{"305500000000002", "Clínica Sol Resultados", []demoNumber{{"305600000000002", "+5511987650002", "Clínica Sol Exames"}}},
	}},
}

type demoWABA struct {
	id, name string
	numbers  []demoNumber
}

type demoNumber struct{ id, display, name string }

const demoAccessToken = "demo-system-user-token"

// seedDemo creates what is missing of the demo tenants (so it can run again
// on the same database), mirrors them in the simulator, and creates fresh
// clients whose secrets can be printed.
func seedDemo(ctx context.Context, svc *tenants.Service, graph *metasim.Graph) (demoSeed, error) {
	actor := tenants.System("wabsp demo")
	var s demoSeed
	var ids []uuid.UUID
	for _, dt := range demoTenants {
		t, err := findOrCreateTenant(ctx, svc, actor, tenants.NewTenant{Name: dt.name, Slug: dt.slug, TimeZone: dt.tz, Currency: dt.currency})
		if err != nil {
			return s, err
		}
		ids = append(ids, t.ID)
		for _, dw := range dt.wabas {
			if err := seedWABA(ctx, svc, actor, t.ID, dw, graph, &s); err != nil {
				return s, err
			}
		}
	}
	s.tenantID, s.tenantIDs = ids[0].String(), ids
	for _, dw := range demoTenants[0].wabas {
		s.experimentWABAs = append(s.experimentWABAs, dw.id)
	}
	var err error
	if s.admin, err = newClient(ctx, svc, actor, tenants.NewClient{Name: "demo admin", Role: auth.RoleAdmin}); err != nil {
		return s, err
	}
	partner, err := findOrCreatePartner(ctx, svc, actor, "Demo Partner")
	if err != nil {
		return s, err
	}
	for _, id := range ids[:2] {
		if err := svc.AssignTenant(ctx, actor, partner, id); err != nil && !isConflict(err) {
			return s, err
		}
	}
	if s.partner, err = newClient(ctx, svc, actor, tenants.NewClient{Name: "demo partner", Role: auth.RolePartner, PartnerID: partner}); err != nil {
		return s, err
	}
	if s.tenant, err = newClient(ctx, svc, actor, tenants.NewClient{Name: "demo tenant", Role: auth.RoleTenant, TenantID: ids[0]}); err != nil {
		return s, err
	}
	s.consoleLogins, err = seedConsoleUsers(ctx, svc, partner, ids[0])
	return s, err
}

func findOrCreateTenant(ctx context.Context, svc *tenants.Service, a tenants.Actor, in tenants.NewTenant) (tenants.Tenant, error) {
	list, err := svc.ListTenants(ctx, tenants.TenantFilter{Query: in.Slug}, tenants.Page{Limit: 50})
	if err != nil {
		return tenants.Tenant{}, err
	}
	for _, t := range list.Items {
		if t.Slug == in.Slug {
			return t, nil
		}
	}
	return svc.CreateTenant(ctx, a, in)
}

func findOrCreatePartner(ctx context.Context, svc *tenants.Service, a tenants.Actor, name string) (uuid.UUID, error) {
	list, err := svc.ListPartners(ctx, tenants.Page{Limit: 200})
	if err != nil {
		return uuid.Nil, err
	}
	for _, p := range list.Items {
		if p.Name == name {
			return p.ID, nil
		}
	}
	p, err := svc.CreatePartner(ctx, a, tenants.NewPartner{Name: name})
	return p.ID, err
}

func seedWABA(ctx context.Context, svc *tenants.Service, a tenants.Actor, tenantID uuid.UUID, dw demoWABA, graph *metasim.Graph, s *demoSeed) error {
	w, err := svc.CreateWABA(ctx, a, tenantID, tenants.NewWABA{WABAID: dw.id, Name: dw.name, AccessToken: demoAccessToken})
	if isConflict(err) {
		w, err = findWABA(ctx, svc, tenantID, dw.id)
	}
	if err != nil {
		return fmt.Errorf("waba %s: %w", dw.id, err)
	}
	if err := graph.AddWABA(metasim.WABA{ID: dw.id, Name: dw.name, AccessToken: demoAccessToken}); err != nil {
		return err
	}
	for _, dn := range dw.numbers {
		_, err := svc.CreatePhoneNumber(ctx, a, tenantID, tenants.NewPhoneNumber{WABARef: w.ID, PhoneNumberID: dn.id, DisplayPhoneNumber: dn.display, VerifiedName: dn.name})
		if err != nil && !isConflict(err) {
			return fmt.Errorf("phone number %s: %w", dn.id, err)
		}
		if _, err := graph.AddPhoneNumber(metasim.PhoneNumber{ID: dn.id, WABAID: dw.id, DisplayPhoneNumber: dn.display, VerifiedName: dn.name}); err != nil {
			return err
		}
		s.numbers = append(s.numbers, metasim.Number{WABAID: dw.id, PhoneNumberID: dn.id, Display: strings.TrimPrefix(dn.display, "+")})
	}
	for _, name := range []string{"order_update", "spring_sale"} {
		t, err := graph.AddTemplate(metasim.Template{WABAID: dw.id, Name: name, Language: "en_US"})
		if err != nil {
			return err
		}
		s.templates = append(s.templates, t.Ref())
	}
	return nil
}

func findWABA(ctx context.Context, svc *tenants.Service, tenantID uuid.UUID, wabaID string) (tenants.WABA, error) {
	list, err := svc.ListWABAs(ctx, tenantID, tenants.Page{Limit: 200})
	if err != nil {
		return tenants.WABA{}, err
	}
	for _, w := range list.Items {
		if w.WABAID == wabaID {
			return w, nil
		}
	}
	return tenants.WABA{}, fmt.Errorf("waba %s belongs to another tenant", wabaID)
}

func newClient(ctx context.Context, svc *tenants.Service, a tenants.Actor, in tenants.NewClient) (credentials, error) {
	c, secret, err := svc.CreateClient(ctx, a, in)
	return credentials{id: c.ClientID, secret: secret}, err
}
