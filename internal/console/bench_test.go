package console

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

// BenchmarkPages measures each page's server time, session lookup and
// rendering included, with as many tenants as the home page lists
// (tenantListLimit), and reports the p99.
func BenchmarkPages(b *testing.B) {
	db := pgtest.New(b)
	svc := tenantstest.NewService(b, db)
	var first uuid.UUID
	for i := range tenantListLimit {
		tn := tenantstest.MustCreateTenant(b, svc, fmt.Sprintf("Tenant %03d", i))
		if i == 0 {
			first = tn.ID
		}
	}
	tenantstest.MustCreateUser(b, svc, "ops@bsp.example", password, auth.RoleAdmin, uuid.Nil)
	app := fiber.New()
	Mount(app, Config{Log: discardLog(), Users: svc})
	c := newClient(b, app)
	c.login("ops@bsp.example", password)
	pages := []struct{ name, path string }{{"home", "/console/"}, {"tenant", "/console/tenants/" + first.String()}}
	for _, pg := range pages {
		path := pg.path
		b.Run(pg.name, func(b *testing.B) {
			times := make([]time.Duration, 0, b.N)
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.AddCookie(c.cookies[CookieName])
				start := time.Now()
				resp, err := app.Test(req, -1)
				times = append(times, time.Since(start))
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatalf("GET %s: %v %v", path, err, resp.StatusCode)
				}
				resp.Body.Close()
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkHomePages measures the risk-sorted homes and the users page as
// cmd/wabsp mounts them, at benchmark sizes: tenantListLimit tenants, each
// with a rated number, a messaging limit and template sends, a third with
// open critical alerts and paused templates, a day of intake in the
// archive (one body a minute, some poison), and a partner holding 50 of the
// tenants with a user each.
func BenchmarkHomePages(b *testing.B) {
	db := pgtest.New(b)
	svc := tenantstest.NewService(b, db)
	f := &fixture{db: db, svc: svc}
	now := time.Now()
	f.clock = &now
	ratings := []string{"GREEN", "YELLOW", "RED"}
	var own []uuid.UUID
	for i := range tenantListLimit {
		tn := tenantstest.MustCreateTenant(b, svc, fmt.Sprintf("Tenant %03d", i))
		seedRisk(b, db, tn.ID, risk{rating: ratings[i%3], critical: i % 3 / 2, paused: i % 3 / 2 * 2,
			limit: "TIER_2K", recipients: 20 + i})
		if i < 50 {
			own = append(own, tn.ID)
		}
	}
	p := tenantstest.MustCreatePartner(b, svc, "Agency", own...)
	for i, id := range own {
		tenantstest.MustCreateUser(b, svc, fmt.Sprintf("u%02d@tenant.example", i), password, auth.RoleTenant, id)
	}
	seedDayOfIntake(b, db, now)
	tenantstest.MustCreateUser(b, svc, "ops@bsp.example", password, auth.RoleAdmin, uuid.Nil)
	tenantstest.MustCreateUser(b, svc, "am@agency.example", password, auth.RolePartner, p.ID)
	cfg := f.fullConfig(b)
	app := fiber.New()
	// Kept warm as serve keeps it: the margins are recomputed in the
	// background every marginRefreshEvery while the views are timed.
	warm := Mount(app, cfg)
	keepWarm(b, warm)
	pages := []struct{ name, email, path string }{
		{"admin-home", "ops@bsp.example", "/console/"},
		{"partner-home", "am@agency.example", "/console/"},
		{"admin-users", "ops@bsp.example", "/console/users"},
		{"partner-users", "am@agency.example", "/console/users"},
	}
	for _, pg := range pages {
		c := newClient(b, app)
		c.login(pg.email, password)
		b.Run(pg.name, func(b *testing.B) { benchPage(b, app, c.cookies[CookieName], pg.path) })
	}
	// The first view after start, as serve starts: KeepWarm is computing the
	// margins while the view runs, which does not wait for them.
	c := newClient(b, app)
	c.login("ops@bsp.example", password)
	b.Run("admin-home-first-view", func(b *testing.B) {
		times := make([]time.Duration, 0, b.N)
		for b.Loop() {
			fresh := fiber.New()
			k := Mount(fresh, cfg)
			stop := startWarm(k)
			times = append(times, timeGet(b, fresh, c.cookies[CookieName], "/console/"))
			waitWarm(k)
			stop()
		}
		reportP99(b, times)
	})
}

// benchPage times GET path after one untimed view.
func benchPage(b *testing.B, app *fiber.App, cookie *http.Cookie, path string) {
	timeGet(b, app, cookie, path)
	times := make([]time.Duration, 0, b.N)
	for b.Loop() {
		times = append(times, timeGet(b, app, cookie, path))
	}
	reportP99(b, times)
}

func timeGet(b *testing.B, app *fiber.App, cookie *http.Cookie, path string) time.Duration {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.AddCookie(cookie)
	start := time.Now()
	resp, err := app.Test(req, -1)
	took := time.Since(start)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %v %v", path, err, resp.StatusCode)
	}
	resp.Body.Close()
	return took
}

func reportP99(b *testing.B, times []time.Duration) {
	var sum time.Duration
	for _, t := range times {
		sum += t
	}
	b.ReportMetric(float64(sum.Microseconds())/1000/float64(len(times)), "mean-ms")
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
}
