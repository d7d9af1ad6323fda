package console

import (
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
)

func TestVendorFiles(t *testing.T) {
	app := fiber.New()
	Mount(app, Config{})
	tests := []struct {
		name, path, wantType string
		wantStatus           int
	}{
		{"uPlot script", "/console/static/vendor/uPlot-1.6.32.iife.min.js", "text/javascript; charset=utf-8", 200},
		{"uPlot stylesheet", "/console/static/vendor/uPlot-1.6.32.min.css", "text/css; charset=utf-8", 200},
		{"htmx script", "/console/static/vendor/htmx-4.0.1.min.js", "text/javascript; charset=utf-8", 200},
		{"unknown version", "/console/static/vendor/htmx-1.0.0.min.js", "", 404},
		{"readme is not served", "/console/static/vendor/README.md", "", 404},
		{"climbing out", "/console/static/vendor/..%2Fconsole.css", "", 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := app.Test(httptest.NewRequest("GET", tc.path, nil), -1)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if tc.wantStatus != 200 {
				return
			}
			if got := resp.Header.Get("Content-Type"); got != tc.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tc.wantType)
			}
			if got, want := resp.Header.Get("Cache-Control"), "public, max-age=31536000, immutable"; got != want {
				t.Errorf("Cache-Control = %q, want %q", got, want)
			}
			if resp.ContentLength == 0 {
				t.Error("empty body")
			}
		})
	}
}

// Pages confine scripts and styles to our origin, where the vendored
// libraries are served, and stay out of caches unlike the libraries.
func TestPageHeaders(t *testing.T) {
	f := setup(t)
	c := newClient(t, f.app)
	code, _, h := c.get("/console/login")
	if code != 200 {
		t.Fatalf("login form: status %d", code)
	}
	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; form-action 'self'",
		"Cache-Control":           "no-store",
		"X-Frame-Options":         "DENY",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}
