package console

import (
	"context"
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

// startWarm runs k.KeepWarm until the returned stop is called, which
// waits for it to return.
func startWarm(k *Console) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); k.KeepWarm(ctx) }()
	return func() { cancel(); <-done }
}

// waitWarm waits for the margins' first computation to end, so that the
// next view starts from a process that has just started.
func waitWarm(k *Console) {
	mc := &k.c.margins
	for {
		mc.mu.Lock()
		done := !mc.at.IsZero() && !mc.refreshing
		mc.mu.Unlock()
		if done {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// keepWarm keeps k's margins computed for the rest of the test, as serve
// does, and waits for the first computation.
func keepWarm(tb testing.TB, k *Console) {
	tb.Helper()
	tb.Cleanup(startWarm(k))
	waitWarm(k)
}
