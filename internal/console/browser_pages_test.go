package console

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gofiber/fiber/v2"
)

// drawnFigures counts the page's charts that drew: uPlot canvases with
// a size and at least one painted pixel, and server-drawn SVG figures
// with a size and shapes in them.
const drawnFigures = `(() => {
  let n = 0;
  for (const c of document.querySelectorAll(".chart canvas")) {
    if (c.width === 0 || c.height === 0) continue;
    const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < px.length; i += 4) { if (px[i] !== 0) { n++; break; } }
  }
  for (const s of document.querySelectorAll("svg.figure")) {
    const r = s.getBoundingClientRect();
    if (r.width > 0 && r.height > 0 && s.querySelector("rect, line, circle")) n++;
  }
  return n;
})()`

func TestBrowserTenantPages(t *testing.T) {
	f := setupPages(t)
	cfg := f.cfg
	cfg.Dev = true
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	Mount(app, cfg)
	base := serve(t, app)
	shots := screenshotDir(t)
	a := "/console/tenants/" + f.tenantA.ID.String()
	b := "/console/tenants/" + f.tenantB.ID.String()
	// pages are the tenant's pages with the figures each must draw.
	pages := []struct {
		name, path string
		figures    int
	}{
		{"tenant", "", 0},
		{"number", "/numbers/" + f.a.number.String(), 1},
		{"alerts", "/alerts", 0},
		{"templates", "/templates", 0},
		{"template", "/templates/" + f.a.template, 1},
		{"usage", "/usage", 1},
		{"consent", "/consent", 0},
		{"contact", "/consent/contacts/" + f.a.contact.String(), 0},
		{"eligibility", "/consent/eligibility?wa_id=" + f.a.waID + "&kind=marketing", 0},
		{"insights", "/insights", 3},
	}
	tests := []struct {
		name, email string
		// hidden is another tenant's page the user must get 404 for.
		hidden string
	}{
		{"admin", f.admin, ""},
		{"partner", f.partner, b + "/insights"},
		{"tenant", f.userA, b + "/numbers/" + f.b.number.String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, consoleErrors := browserLogin(t, base, tt.email)
			for _, pg := range pages {
				if err := chromedp.Do(ctx, chromedp.Navigate(base+a+pg.path)); err != nil {
					t.Fatalf("%s: %v", pg.name, err)
				}
				if pg.figures > 0 {
					// The charts draw after DOMContentLoaded, once the deferred scripts ran.
					if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll(".chart canvas").length >= `+
						`document.querySelectorAll(".chart").length`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
						t.Fatalf("%s: charts: %v", pg.name, err)
					}
				}
				status, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`performance.getEntriesByType("navigation")[0].responseStatus`))
				if err != nil || status != 200 {
					t.Errorf("%s: status %d (%v), want 200", pg.name, status, err)
				}
				drawn, err := chromedp.Run(ctx, chromedp.Evaluate[int64](drawnFigures))
				if err != nil || drawn < int64(pg.figures) {
					t.Errorf("%s: %d figures drew (%v), want %d", pg.name, drawn, err, pg.figures)
				}
				shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatal(err)
				}
				writeShot(t, shots, tt.name+"-tenant-"+pg.name+".png", shot)
			}
			if tt.hidden != "" {
				if err := chromedp.Do(ctx, chromedp.Navigate(base+tt.hidden)); err != nil {
					t.Fatal(err)
				}
				status, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`performance.getEntriesByType("navigation")[0].responseStatus`))
				if err != nil || status != 404 {
					t.Errorf("%s: status %d (%v), want 404", tt.hidden, status, err)
				}
			}
			for _, e := range consoleErrors() {
				if !strings.Contains(e, "404") {
					t.Errorf("browser: %s", e)
				}
			}
		})
	}
}
