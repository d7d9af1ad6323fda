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
