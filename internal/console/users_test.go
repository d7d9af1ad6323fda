package console

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

var resetLink = regexp.MustCompile(`id="reset-link" href="[^"]*(/console/reset/[^"]+)"`)

func TestInvite(t *testing.T) {
	f := setup(t)
	tenantstest.MustCreateUser(t, f.svc, "owner@bolt.example", password, auth.RoleTenant, f.tenantB.ID)
	tests := []struct {
		name   string
		by     string
		form   url.Values
		noCSRF bool
		want   int
	}{
		{"admin invites an admin", f.admin, url.Values{"email": {"new@bsp.example"}, "role": {"admin"}}, false, http.StatusCreated},
		{"admin invites a tenant user", f.admin, url.Values{"email": {"new@bolt.example"}, "role": {"tenant"}, "tenant_id": {f.tenantB.ID.String()}}, false, http.StatusCreated},
		{"partner invites its tenant's user", f.partner, url.Values{"email": {"new@acme.example"}, "role": {"tenant"}, "tenant_id": {f.tenantA.ID.String()}}, false, http.StatusCreated},
		{"partner invites another tenant's user", f.partner, url.Values{"email": {"x@bolt.example"}, "role": {"tenant"}, "tenant_id": {f.tenantB.ID.String()}}, false, http.StatusForbidden},
		{"partner invites an admin", f.partner, url.Values{"email": {"x@bsp.example"}, "role": {"admin"}}, false, http.StatusForbidden},
		{"email taken", f.admin, url.Values{"email": {f.userA}, "role": {"admin"}}, false, http.StatusConflict},
		{"tenant user without a tenant", f.admin, url.Values{"email": {"y@bsp.example"}, "role": {"tenant"}}, false, http.StatusBadRequest},
		{"without the form token", f.admin, url.Values{"email": {"z@bsp.example"}, "role": {"admin"}}, true, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, f.app)
			c.login(tt.by, password)
			if code, _, _ := c.get("/console/users"); code != http.StatusOK {
				t.Fatalf("users page: status %d", code)
			}
			if !tt.noCSRF {
				tt.form.Set("csrf_token", c.csrf)
			}
			code, body, _ := c.post("/console/users", tt.form)
			if code != tt.want {
				t.Fatalf("invite: status %d, want %d", code, tt.want)
			}
			_, err := f.svc.UserIDByEmail(t.Context(), tt.form.Get("email"))
			created := err == nil
			if tt.want != http.StatusCreated {
				if created && tt.want != http.StatusConflict {
					t.Error("a refused invitation created the user")
				}
				return
			}
			m := resetLink.FindStringSubmatch(body)
			if m == nil {
				t.Fatal("the page shows no set-password link")
			}
			setPassword(t, f, m[1], tt.form.Get("email"))
		})
	}
}

// setPassword follows a set-password link and logs in with the password.
func setPassword(t *testing.T, f *fixture, link, email string) {
	t.Helper()
	c := newClient(t, f.app)
	c.get(link)
	const pw = "a brand new passphrase"
	if code, _, _ := c.post(link, url.Values{"password": {pw}, "confirm": {pw}, "csrf_token": {c.csrf}}); code != http.StatusSeeOther {
		t.Fatalf("set password: status %d", code)
	}
	if code := newClient(t, f.app).login(email, pw); code != http.StatusSeeOther {
		t.Errorf("login with the new password: status %d", code)
	}
}

func TestIssueResetLink(t *testing.T) {
	f := setup(t)
	const target = "owner@bolt.example"
	targetID := tenantstest.MustCreateUser(t, f.svc, target, password, auth.RoleTenant, f.tenantB.ID).ID
	path := "/console/users/" + targetID.String() + "/reset"
	tests := []struct {
		name   string
		by     string
		path   string
		noCSRF bool
		want   int
	}{
		{"admin", f.admin, path, false, http.StatusOK},
		{"partner", f.partner, path, false, http.StatusNotFound},
		{"tenant", f.userA, path, false, http.StatusNotFound},
		{"without the form token", f.admin, path, true, http.StatusForbidden},
		{"unknown user", f.admin, "/console/users/" + uuid.NewString() + "/reset", false, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, f.app)
			c.login(tt.by, password)
			form := url.Values{}
			if !tt.noCSRF {
				form.Set("csrf_token", c.csrf)
			}
			code, body, _ := c.post(tt.path, form)
			if code != tt.want {
				t.Fatalf("issue reset: status %d, want %d", code, tt.want)
			}
			if code != http.StatusOK {
				return
			}
			m := resetLink.FindStringSubmatch(body)
			if m == nil {
				t.Fatal("the page shows no reset link")
			}
			setPassword(t, f, m[1], target)
		})
	}
}

func TestUsersPageScope(t *testing.T) {
	f := setup(t)
	tenantstest.MustCreateUser(t, f.svc, "owner@bolt.example", password, auth.RoleTenant, f.tenantB.ID)
	tests := []struct {
		name         string
		by           string
		shows, hides []string
	}{
		{"admin", f.admin, []string{f.admin, f.partner, f.userA, "owner@bolt.example", "Issue reset link"}, nil},
		{"partner", f.partner, []string{f.userA}, []string{"owner@bolt.example", f.admin, "Issue reset link", `value="admin"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, f.app)
			c.login(tt.by, password)
			_, body, _ := c.get("/console/users")
			for _, s := range tt.shows {
				if !strings.Contains(body, s) {
					t.Errorf("users page does not show %q", s)
				}
			}
			for _, s := range tt.hides {
				if strings.Contains(body, s) {
					t.Errorf("users page shows %q", s)
				}
			}
		})
	}
}
