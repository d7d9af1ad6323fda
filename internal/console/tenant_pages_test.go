package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// tenantPaths are every tenant page with the text each must show.
func (f *pagesFixture) tenantPaths(tenant string, d tenantData) map[string]string {
	base := "/console/tenants/" + tenant
	return map[string]string{
		base + "/numbers/" + d.number.String():           "Quality, status and limit changes",
		base + "/alerts":                                 "Acknowledge",
		base + "/templates":                              "order_update",
		base + "/templates/" + d.template:                "Status and quality history",
		base + "/usage":                                  "Download CSV",
		base + "/usage/invoice.csv":                      "monthly_fee",
		base + "/consent":                                "Yes, send me offers from Shop",
		base + "/consent?wa_id=" + d.waID:                "Yes, send me offers from Shop",
		base + "/consent/contacts/" + d.contact.String(): "opt_in via web_form",
		base + "/consent/eligibility?wa_id=" + d.waID + "&kind=marketing": "Allowed",
		base + "/insights": "Onboarding",
	}
}

func TestTenantPagesAccess(t *testing.T) {
	f := setupPages(t)
	pathsA := f.tenantPaths(f.tenantA.ID.String(), f.a)
	pathsB := f.tenantPaths(f.tenantB.ID.String(), f.b)
	tests := []struct {
		name       string
		email      string
		seeA, seeB bool
	}{
		{"admin sees both", f.admin, true, true},
		{"partner sees only its tenant", f.partner, true, false},
		{"tenant user sees only its own", f.userA, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, f.app)
			c.login(tt.email, password)
			for _, side := range []struct {
				paths map[string]string
				see   bool
			}{{pathsA, tt.seeA}, {pathsB, tt.seeB}} {
				for path, want := range side.paths {
					code, body, _ := c.get(path)
					switch {
					case side.see && (code != http.StatusOK || !strings.Contains(body, want)):
						t.Errorf("GET %s: status %d, shows %q: %v", path, code, want, strings.Contains(body, want))
					case !side.see && code != http.StatusNotFound:
						t.Errorf("GET %s: status %d, want 404", path, code)
					}
				}
			}
		})
	}
}

func TestTenantPagesUnknownSubjects(t *testing.T) {
	f := setupPages(t)
	base := "/console/tenants/" + f.tenantA.ID.String()
	c := newClient(t, f.app)
	c.login(f.userA, password)
	tests := []struct{ name, path string }{
		{"number of the other tenant", base + "/numbers/" + f.b.number.String()},
		{"number id not a uuid", base + "/numbers/nope"},
		{"template of the other tenant", base + "/templates/" + f.b.template},
		{"contact of the other tenant", base + "/consent/contacts/" + f.b.contact.String()},
		{"tenant id not a uuid", "/console/tenants/nope/alerts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _, _ := c.get(tt.path); code != http.StatusNotFound {
				t.Errorf("GET %s: status %d, want 404", tt.path, code)
			}
		})
	}
}

func TestTenantPagesBadQueries(t *testing.T) {
	f := setupPages(t)
	base := "/console/tenants/" + f.tenantA.ID.String()
	c := newClient(t, f.app)
	c.login(f.userA, password)
	tests := []struct{ name, path, want string }{
		{"days not a number", base + "/numbers/" + f.a.number.String() + "?days=x", "positive whole number"},
		{"month not a month", base + "/usage?month=2026-13", "is not a month"},
		{"alert state unknown", base + "/alerts?state=gone", "must be open or resolved"},
		{"ledger date", base + "/consent?from=yesterday", "must be a date"},
		{"unknown contact", base + "/consent?wa_id=19999999999", "not found"},
		{"eligibility kind", base + "/consent/eligibility?wa_id=1&kind=spam", "kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, _ := c.get(tt.path)
			if code != http.StatusOK || !strings.Contains(body, tt.want) {
				t.Errorf("GET %s: status %d, shows %q: %v", tt.path, code, tt.want, strings.Contains(body, tt.want))
			}
		})
	}
}

func TestAcknowledgeAlert(t *testing.T) {
	f := setupPages(t)
	ackA := "/console/tenants/" + f.tenantA.ID.String() + "/alerts/" + f.a.alert.String() + "/ack"
	ackBviaA := "/console/tenants/" + f.tenantA.ID.String() + "/alerts/" + f.b.alert.String() + "/ack"
	ackB := "/console/tenants/" + f.tenantB.ID.String() + "/alerts/" + f.b.alert.String() + "/ack"
	tests := []struct {
		name string
		path string
		csrf bool
		want int
	}{
		{"without the token", ackA, false, http.StatusForbidden},
		{"another tenant's alert", ackB, true, http.StatusNotFound},
		{"another tenant's alert under its own tenant", ackBviaA, true, http.StatusNotFound},
		{"own alert", ackA, true, http.StatusSeeOther},
		{"own alert again", ackA, true, http.StatusSeeOther},
	}
	c := newClient(t, f.app)
	c.login(f.userA, password)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{}
			if tt.csrf {
				form.Set("csrf_token", c.csrf)
			}
			if code, _, _ := c.post(tt.path, form); code != tt.want {
				t.Errorf("POST %s: status %d, want %d", tt.path, code, tt.want)
			}
		})
	}
	a, err := f.quality.GetAlert(t.Context(), f.tenantA.ID, f.a.alert)
	if err != nil || a.AcknowledgedBy != "console:"+f.userA {
		t.Errorf("tenant A alert acknowledged by %q (%v), want console:%s", a.AcknowledgedBy, err, f.userA)
	}
	b, err := f.quality.GetAlert(t.Context(), f.tenantB.ID, f.b.alert)
	if err != nil || b.AcknowledgedAt != nil {
		t.Errorf("tenant B alert acknowledged (%v): %v", err, b.AcknowledgedAt)
	}
	if _, body, _ := c.get("/console/tenants/" + f.tenantA.ID.String() + "/alerts?state=all"); !strings.Contains(body, "by console:"+f.userA) {
		t.Error("the alert list does not show who acknowledged")
	}
}

func TestInvoiceCSVCost(t *testing.T) {
	f := setupPages(t)
	path := "/console/tenants/" + f.tenantA.ID.String() + "/usage/invoice.csv"
	tests := []struct {
		name     string
		email    string
		wantCost bool
	}{
		{"admin gets Meta's cost", f.admin, true},
		{"tenant does not", f.userA, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, f.app)
			c.login(tt.email, password)
			code, body, h := c.get(path)
			if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
				t.Fatalf("status %d, type %q", code, h.Get("Content-Type"))
			}
			if got := strings.Contains(body, "meta_unit_cost"); got != tt.wantCost {
				t.Errorf("meta cost column: %v, want %v", got, tt.wantCost)
			}
		})
	}
}
