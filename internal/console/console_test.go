package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/tenants"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

const password = "correct horse battery"

type fixture struct {
	app            *fiber.App
	db             *pg.DB
	svc            *tenants.Service
	tenantA        tenants.Tenant
	tenantB        tenants.Tenant
	clock          *time.Time
	admin, partner string
	userA          string
	userAID        uuid.UUID
}

func setup(t *testing.T) *fixture {
	t.Helper()
	db := pgtest.New(t)
	svc := tenantstest.NewService(t, db)
	f := &fixture{svc: svc, db: db}
	f.tenantA = tenantstest.MustCreateTenant(t, svc, "Acme")
	f.tenantB = tenantstest.MustCreateTenant(t, svc, "Bolt")
	p := tenantstest.MustCreatePartner(t, svc, "Agency", f.tenantA.ID)
	f.admin, f.partner, f.userA = "ops@bsp.example", "am@agency.example", "owner@acme.example"
	tenantstest.MustCreateUser(t, svc, f.admin, password, auth.RoleAdmin, uuid.Nil)
	tenantstest.MustCreateUser(t, svc, f.partner, password, auth.RolePartner, p.ID)
	f.userAID = tenantstest.MustCreateUser(t, svc, f.userA, password, auth.RoleTenant, f.tenantA.ID).ID
	now := time.Now()
	f.clock = &now
	f.app = fiber.New()
	Mount(f.app, Config{Log: discardLog(), Users: svc, Now: func() time.Time { return *f.clock }})
	return f
}

func TestLoginCookie(t *testing.T) {
	f := setup(t)
	c := newClient(t, f.app)
	c.get("/console/login")
	if code, _, _ := c.post("/console/login", url.Values{"email": {f.admin}, "password": {password}, "csrf_token": {c.csrf}}); code != http.StatusSeeOther {
		t.Fatalf("login: status %d, want 303", code)
	}
	var got *http.Cookie
	for _, ck := range c.last {
		if ck.Name == CookieName {
			got = ck
		}
	}
	if got == nil {
		t.Fatalf("login set no %s cookie", CookieName)
	}
	if !got.HttpOnly || !got.Secure || got.SameSite != http.SameSiteLaxMode || got.Path != "/" {
		t.Errorf("cookie flags: HttpOnly=%v Secure=%v SameSite=%v Path=%q; want HttpOnly, Secure, Lax, /",
			got.HttpOnly, got.Secure, got.SameSite, got.Path)
	}
	if code, body, _ := c.get("/console/"); code != http.StatusOK || !strings.Contains(body, "Bolt") {
		t.Errorf("admin home: status %d, tenants listed: %v", code, strings.Contains(body, "Bolt"))
	}
}

func TestCSRFRefused(t *testing.T) {
	f := setup(t)
	inv, err := f.svc.InviteUser(context.Background(), tenantstest.SeedAdmin,
		tenants.NewUser{Email: "new@bsp.example", Role: auth.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	forms := []struct {
		name string
		path string
		form url.Values
	}{
		{"login", "/console/login", url.Values{"email": {f.admin}, "password": {password}}},
		{"logout", "/console/logout", url.Values{}},
		{"reset", "/console/reset/" + inv.Token, url.Values{"password": {"a new long password"}, "confirm": {"a new long password"}}},
	}
	tokens := []struct {
		name  string
		token func(c *client) string
	}{
		{"no token", func(*client) string { return "" }},
		{"wrong token", func(*client) string { return "forged" }},
		{"another session's token", func(*client) string {
			other := newClient(t, f.app)
			other.get("/console/login")
			return other.csrf
		}},
	}
	for _, form := range forms {
		for _, tok := range tokens {
			t.Run(form.name+"/"+tok.name, func(t *testing.T) {
				c := newClient(t, f.app)
				if form.name == "logout" {
					c.login(f.partner, password)
				} else {
					c.get("/console/login")
				}
				v := url.Values{}
				for k, vs := range form.form {
					v[k] = vs
				}
				if s := tok.token(c); s != "" {
					v.Set("csrf_token", s)
				}
				if code, _, _ := c.post(form.path, v); code != http.StatusForbidden {
					t.Errorf("status %d, want 403", code)
				}
			})
		}
	}
	// The refused reset must not have spent the link.
	if err := f.svc.ResetPassword(context.Background(), inv.Token, "a new long password", time.Now()); err != nil {
		t.Errorf("link spent by a refused form: %v", err)
	}
}

func TestSessionFixation(t *testing.T) {
	f := setup(t)
	c := newClient(t, f.app)
	c.get("/console/login")
	planted := c.cookies[CookieName]
	if planted == nil {
		t.Fatal("the login form set no session cookie")
	}
	c.login(f.admin, password)
	if c.cookies[CookieName].Value == planted.Value {
		t.Fatal("login kept the pre-login session id")
	}
	attacker := newClient(t, f.app)
	attacker.cookies[CookieName] = planted
	if code, _, h := attacker.get("/console/"); code != http.StatusSeeOther || h.Get("Location") != "/console/login" {
		t.Errorf("pre-login id after login: status %d to %q, want 303 to the login page", code, h.Get("Location"))
	}
}

func TestLogoutEndsServerSession(t *testing.T) {
	f := setup(t)
	c := newClient(t, f.app)
	c.login(f.userA, password)
	cookie := c.cookies[CookieName]
	if code, _, _ := c.post("/console/logout", url.Values{"csrf_token": {c.csrf}}); code != http.StatusSeeOther {
		t.Fatalf("logout: status %d", code)
	}
	replay := newClient(t, f.app)
	replay.cookies[CookieName] = cookie
	if code, _, _ := replay.get("/console/tenants/" + f.tenantA.ID.String()); code != http.StatusSeeOther {
		t.Errorf("the logged-out cookie still works: status %d", code)
	}
}

func TestLockout(t *testing.T) {
	f := setup(t)
	c := newClient(t, f.app)
	for i := 0; i < tenants.MaxFailedLogins; i++ {
		if code := c.login(f.partner, "wrong password!"); code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: status %d, want 401", i+1, code)
		}
	}
	if code := c.login(f.partner, password); code != http.StatusUnauthorized {
		t.Fatalf("right password while locked: status %d, want 401", code)
	}
	*f.clock = f.clock.Add(tenants.LockoutFor + time.Minute)
	if code := c.login(f.partner, password); code != http.StatusSeeOther {
		t.Errorf("right password after the lockout: status %d, want 303", code)
	}
}

func TestLoginRateLimit(t *testing.T) {
	f := setup(t)
	c := newClient(t, f.app)
	for i := 0; i < loginAttempts; i++ {
		if code := c.login("nobody@example.com", "whatever it is"); code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d, want 401", i+1, code)
		}
	}
	if code := c.login("nobody@example.com", "whatever it is"); code != http.StatusTooManyRequests {
		t.Errorf("attempt past the limit: status %d, want 429", code)
	}
	if code := c.login(f.admin, password); code != http.StatusSeeOther {
		t.Errorf("another email from the same address: status %d, want 303", code)
	}
}

func TestResetLink(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	issue := func(t *testing.T) string {
		token, err := f.svc.IssuePasswordReset(ctx, tenantstest.SeedAdmin, f.userAID)
		if err != nil {
			t.Fatal(err)
		}
		return token
	}
	set := func(c *client, token, pw string) int {
		c.get("/console/reset/" + token)
		code, _, _ := c.post("/console/reset/"+token, url.Values{"password": {pw}, "confirm": {pw}, "csrf_token": {c.csrf}})
		return code
	}
	t.Run("single use", func(t *testing.T) {
		token := issue(t)
		c := newClient(t, f.app)
		if code := set(c, token, "first new password"); code != http.StatusSeeOther {
			t.Fatalf("first use: status %d, want 303", code)
		}
		if code := set(c, token, "second new password"); code != http.StatusNotFound {
			t.Errorf("second use: status %d, want 404", code)
		}
		if code := newClient(t, f.app).login(f.userA, "first new password"); code != http.StatusSeeOther {
			t.Errorf("login with the new password: status %d", code)
		}
		if err := f.svc.ResetPassword(ctx, issue(t), password, time.Now()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("expires", func(t *testing.T) {
		token := issue(t)
		saved := *f.clock
		*f.clock = saved.Add(tenants.ResetLinkTTL + time.Minute)
		defer func() { *f.clock = saved }()
		if code := set(newClient(t, f.app), token, "late new password"); code != http.StatusNotFound {
			t.Errorf("expired link: status %d, want 404", code)
		}
	})
}

func TestTenantScoping(t *testing.T) {
	f := setup(t)
	pageA := "/console/tenants/" + f.tenantA.ID.String()
	pageB := "/console/tenants/" + f.tenantB.ID.String()
	tests := []struct {
		name  string
		email string
		want  map[string]int
	}{
		{"admin", f.admin, map[string]int{pageA: 200, pageB: 200}},
		{"partner", f.partner, map[string]int{pageA: 200, pageB: 404}},
		{"tenant", f.userA, map[string]int{pageA: 200, pageB: 404, "/console/tenants/not-a-uuid": 404}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, f.app)
			c.login(tt.email, password)
			for path, want := range tt.want {
				if code, body, _ := c.get(path); code != want {
					t.Errorf("GET %s: status %d, want %d", path, code, want)
				} else if want == 404 && strings.Contains(body, f.tenantB.Name) {
					t.Errorf("GET %s: the refusal names the tenant", path)
				}
			}
			_, home, _ := c.get("/console/")
			if tt.name == "partner" && (strings.Contains(home, f.tenantB.Name) || !strings.Contains(home, f.tenantA.Name)) {
				t.Errorf("partner home lists other tenants or misses its own")
			}
		})
	}
}

func TestDevCookie(t *testing.T) {
	f := setup(t)
	app := fiber.New()
	Mount(app, Config{Log: discardLog(), Users: f.svc, Dev: true})
	c := newClient(t, app)
	c.get("/console/login")
	ck := c.cookies[devCookieName]
	if ck == nil {
		t.Fatalf("dev mode set no %s cookie", devCookieName)
	}
	if ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
		t.Errorf("dev cookie: Secure=%v HttpOnly=%v SameSite=%v; want plain-http usable, HttpOnly, Lax", ck.Secure, ck.HttpOnly, ck.SameSite)
	}
}
