package console

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

// homeFixture is the fixture with risks seeded and the console mounted as
// cmd/wabsp mounts it. Acme (the partner's) and Bolt stay calm.
func homeFixture(t *testing.T) *fixture {
	t.Helper()
	f := setup(t)
	for _, s := range []struct {
		name string
		r    risk
	}{
		{"Alarm", risk{rating: "GREEN", critical: 1, limit: "TIER_10K"}},
		{"Redline", risk{rating: "RED", limit: "TIER_10K"}},
		{"Paused", risk{rating: "GREEN", paused: 2, limit: "TIER_10K"}},
		{"Tight", risk{rating: "GREEN", limit: "TIER_50", recipients: 48}},
		{"Roomy", risk{rating: "GREEN", limit: "TIER_50", recipients: 5}},
	} {
		tn := tenantstest.MustCreateTenant(t, f.svc, s.name)
		seedRisk(t, f.db, tn.ID, s.r)
	}
	seedIntake(t, f.db, *f.clock)
	f.app = fiber.New()
	keepWarm(t, Mount(f.app, f.fullConfig(t)))
	return f
}

var riskLink = regexp.MustCompile(`<tr><td><a href="/console/tenants/[^"]+">([^<]+)</a></td>`)

func riskOrder(body string) []string {
	var names []string
	for _, m := range riskLink.FindAllStringSubmatch(body, -1) {
		names = append(names, m[1])
	}
	return names
}

func TestHomeRiskOrder(t *testing.T) {
	f := homeFixture(t)
	tests := []struct {
		name  string
		email string
		want  []string
	}{
		{"admin sees every tenant worst first", f.admin, []string{"Alarm", "Redline", "Paused", "Tight", "Roomy", "Acme", "Bolt"}},
		{"partner sees only its tenants", f.partner, []string{"Acme"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, f.app)
			c.login(tt.email, password)
			code, body, _ := c.get("/console/")
			if code != http.StatusOK {
				t.Fatalf("home: status %d", code)
			}
			if diff := cmp.Diff(tt.want, riskOrder(body)); diff != "" {
				t.Errorf("tenants (-want +got):\n%s", diff)
			}
			if tt.email == f.partner && strings.Contains(body, "Platform health") {
				t.Error("a partner sees the platform health panels")
			}
		})
	}
}

func TestHomeFactorsShown(t *testing.T) {
	f := homeFixture(t)
	c := newClient(t, f.app)
	c.login(f.admin, password)
	_, body, h := c.get("/console/")
	for _, want := range []string{
		"2 users (4%) under TIER_50",   // Tight's headroom
		`<td class="RED">RED</td>`,     // Redline's rating
		`<td class="warn">2 of 2</td>`, // Paused's blocked templates
		`<td class="bad">1</td>`,       // Alarm's critical alert
		"no numbers",                   // Acme
	} {
		if !strings.Contains(body, want) {
			t.Errorf("home does not show %q", want)
		}
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q does not confine scripts", csp)
	}
}

func TestHomeHealthPanels(t *testing.T) {
	f := homeFixture(t)
	c := newClient(t, f.app)
	c.login(f.admin, password)
	_, body, _ := c.get("/console/")
	for _, want := range []string{
		"2 bodies received",
		`<span class="bad">1 poison</span>`,
		"<tr><th>Requests</th><td>9</td></tr>",
		`<tr><th>401 bad signature</th><td class="warn">2</td></tr>`,
		`<tr><th>413 body too large</th><td class="warn">1</td></tr>`,
		`<tr><th>503 intake unavailable</th><td class="bad">1</td></tr>`,
		"<h2>Outbound delivery, last 24 hours</h2>",
		"<h2>Margin, " + f.clock.UTC().Format("2006-01") + "</h2>",
		"<p>As of " + f.clock.UTC().Format("15:04:05") + " UTC",
		`<script type="application/json" id="intake-data">{"kind":"lines"`,
		`<script src="/console/static/charts.js" defer></script>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("home does not show %q", want)
		}
	}
	if code, js, h := c.get("/console/static/charts.js"); code != http.StatusOK || !strings.Contains(h.Get("Content-Type"), "javascript") || !strings.Contains(js, "uPlot") {
		t.Errorf("charts.js: status %d, type %q", code, h.Get("Content-Type"))
	}
}

func TestTenantUserHome(t *testing.T) {
	f := homeFixture(t)
	c := newClient(t, f.app)
	c.login(f.userA, password)
	c.cookies = map[string]*http.Cookie{CookieName: c.cookies[CookieName]}
	code, _, h := c.get("/console/")
	if code != http.StatusSeeOther || h.Get("Location") != "/console/tenants/"+f.tenantA.ID.String() {
		t.Errorf("tenant home: status %d to %q, want 303 to its own page", code, h.Get("Location"))
	}
	if code, _, _ := c.get("/console/users"); code != http.StatusNotFound {
		t.Errorf("tenant users page: status %d, want 404", code)
	}
	if code, _, _ := c.post("/console/users", url.Values{"csrf_token": {c.csrf}, "email": {"x@acme.example"}, "role": {string(auth.RoleTenant)},
		"tenant_id": {f.tenantA.ID.String()}}); code != http.StatusNotFound {
		t.Errorf("tenant invite: status %d, want 404", code)
	}
}
