package console

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/gofiber/fiber/v2"
)

// browserContext starts headless Chromium with a fresh profile, or skips
// when it is not installed (fails instead under
// WABSP_REQUIRE_BROWSER_TESTS, as CI sets). Every console error and
// uncaught exception of any page is reported by the returned func.
func browserContext(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("WABSP_REQUIRE_BROWSER_TESTS") != "" {
			t.Fatal("chromium is not installed and WABSP_REQUIRE_BROWSER_TESTS is set")
		}
		t.Skip("chromium is not installed")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless, chromedp.NoDefaultBrowserCheck, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.WindowSize(1280, 800),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	var mu sync.Mutex
	var errs []string
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				errs = append(errs, fmt.Sprintf("console.error: %v", e.Args))
			}
		case *runtime.EventExceptionThrown:
			errs = append(errs, fmt.Sprintf("exception: %s", e.ExceptionDetails.Text))
		}
	}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), errs...) }
}

// browserLogin opens a browser, logs in as email and fails the test if the
// console does not show a logged-in page.
func browserLogin(t *testing.T, base, email string) (context.Context, func() []string) {
	t.Helper()
	ctx, consoleErrors := browserContext(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/console/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("header form")),
	); err != nil {
		t.Fatalf("login: %v", err)
	}
	return ctx, consoleErrors
}

// screenshotDir is where screenshots go: WABSP_SCREENSHOT_DIR, or the
// test's temporary directory.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("WABSP_SCREENSHOT_DIR"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func serve(t *testing.T, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	return "http://" + ln.Addr().String()
}

func TestBrowser(t *testing.T) {
	f := setup(t)
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	Mount(app, Config{Log: discardLog(), Users: f.svc, Dev: true})
	base := serve(t, app)
	shots := screenshotDir(t)
	pageA := "/console/tenants/" + f.tenantA.ID.String()
	pageB := "/console/tenants/" + f.tenantB.ID.String()
	tests := []struct {
		name  string
		email string
		// pages maps a path to the text it must show, or to "404" for a
		// page the user must not see.
		pages map[string]string
	}{
		{"admin", f.admin, map[string]string{"/console/": f.tenantB.Name, pageA: "Phone numbers", pageB: "Phone numbers"}},
		{"partner", f.partner, map[string]string{"/console/": f.tenantA.Name, pageA: "Phone numbers", pageB: "404"}},
		{"tenant", f.userA, map[string]string{pageA: "Phone numbers", pageB: "404"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, consoleErrors := browserLogin(t, base, tt.email)
			shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			writeShot(t, shots, tt.name+"-home.png", shot)
			for path, want := range tt.pages {
				if err := chromedp.Do(ctx, chromedp.Navigate(base+path)); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				status, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`performance.getEntriesByType("navigation")[0].responseStatus`))
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatal(err)
				}
				if want == "404" {
					if status != 404 {
						t.Errorf("%s: status %d, want 404", path, status)
					}
					continue
				}
				if status != 200 || !strings.Contains(body, want) {
					t.Errorf("%s: status %d, shows %q: want 200 showing %q", path, status, body, want)
				}
				writeShot(t, shots, tt.name+"-"+filepath.Base(path)+".png", shot)
			}
			for _, e := range consoleErrors() {
				t.Errorf("browser: %s", e)
			}
		})
	}
}

func writeShot(t *testing.T, dir, name string, png []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserHome opens the risk-sorted homes, the health panels and the
// users page as cmd/wabsp mounts them, and checks that the intake chart
// drew on a canvas of non-zero size under the CSP.
func TestBrowserHome(t *testing.T) {
	f := homeFixture(t)
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	cfg := f.fullConfig(t)
	cfg.Dev = true
	keepWarm(t, Mount(app, cfg))
	base := serve(t, app)
	shots := screenshotDir(t)
	tests := []struct {
		name  string
		email string
		// pages maps a path to the text it must show.
		pages map[string]string
		chart bool
	}{
		{"admin", f.admin, map[string]string{"/console/": "Platform health", "/console/users": "Issue reset link"}, true},
		{"partner", f.partner, map[string]string{"/console/": f.tenantA.Name, "/console/users": "Invite"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, consoleErrors := browserLogin(t, base, tt.email)
			for path, want := range tt.pages {
				if err := chromedp.Do(ctx, chromedp.Navigate(base+path)); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				if !strings.Contains(body, want) {
					t.Errorf("%s does not show %q", path, want)
				}
				if path == "/console/" {
					area, err := chromedp.Run(ctx, chromedp.Evaluate[int64](
						`(() => { const c = document.querySelector("#intake-chart canvas"); return c ? c.width * c.height : 0 })()`))
					if err != nil {
						t.Fatal(err)
					}
					if tt.chart && area == 0 {
						t.Error("the intake chart drew no canvas")
					}
				}
				shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatal(err)
				}
				name := map[string]string{"/console/": "dashboard", "/console/users": "users"}[path]
				writeShot(t, shots, tt.name+"-"+name+".png", shot)
			}
			for _, e := range consoleErrors() {
				t.Errorf("browser: %s", e)
			}
		})
	}
}
