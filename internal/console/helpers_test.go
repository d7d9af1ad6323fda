package console

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// client is a minimal browser over app.Test: it keeps cookies and reads
// the CSRF token of the last page it loaded.
type client struct {
	t       testing.TB
	app     *fiber.App
	cookies map[string]*http.Cookie
	csrf    string
	// last is the last response's Set-Cookie headers, for flag checks.
	last []*http.Cookie
}

func newClient(t testing.TB, app *fiber.App) *client {
	return &client{t: t, app: app, cookies: map[string]*http.Cookie{}}
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)

func (c *client) do(req *http.Request) (int, string, http.Header) {
	c.t.Helper()
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	resp, err := c.app.Test(req, -1)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	c.last = resp.Cookies()
	for _, ck := range c.last {
		if ck.MaxAge < 0 || ck.Value == "" || (!ck.Expires.IsZero() && ck.Expires.Before(time.Now())) {
			delete(c.cookies, ck.Name)
			continue
		}
		c.cookies[ck.Name] = ck
	}
	if m := csrfInput.FindStringSubmatch(string(body)); m != nil {
		c.csrf = m[1]
	}
	return resp.StatusCode, string(body), resp.Header
}

func (c *client) get(path string) (int, string, http.Header) {
	c.t.Helper()
	return c.do(httptest.NewRequest(http.MethodGet, path, nil))
}

func (c *client) post(path string, form url.Values) (int, string, http.Header) {
	c.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// login loads the login form, posts it with its token and follows the
// redirects to the home page, so that c.csrf is the new session's.
func (c *client) login(email, password string) int {
	c.t.Helper()
	c.get("/console/login")
	code, _, h := c.post("/console/login", url.Values{"email": {email}, "password": {password}, "csrf_token": {c.csrf}})
	for next, hops := h.Get("Location"), 0; code == http.StatusSeeOther && next != "" && hops < 3; hops++ {
		var status int
		status, _, h = c.get(next)
		next = ""
		if status == http.StatusSeeOther {
			next = h.Get("Location")
		}
	}
	return code
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
