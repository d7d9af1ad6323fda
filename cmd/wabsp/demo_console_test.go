package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wabsp/wabsp/internal/pgtest"
)

// consolePage is a console page and what it shows when its part of the demo
// is empty.
type consolePage struct {
	name, path string
	// empty are strings the page shows only when there is nothing to show.
	empty []string
}

// TestDemoFillsTheConsole runs the demo on a database of its own, plays its
// traffic quickly (dated over the last hour), and opens every console page
// as the demo's users until none shows an empty state.
func TestDemoFillsTheConsole(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a few thousand demo events")
	}
	_, dbURL := pgtest.NewWithURL(t)
	cfg := e2eConfig(t, dbURL, demoDefaults)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	pace := demoPace{now: catchUpClock(time.Now().Add(-time.Hour), time.Second), factor: 0.05}
	go func() {
		done <- serveDemo(ctx, cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), ln, io.Discard, pace)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo: %v", err)
		}
	})
	base := "http://" + ln.Addr().String()
	waitReady(t, base+"/readyz")
	admin := loginConsole(t, base, "admin@demo.wabsp.test")
	partner := loginConsole(t, base, "partner@demo.wabsp.test")
	tenant := loginConsole(t, base, "tenant@demo.wabsp.test")

	var last map[string][]string
	for deadline := time.Now().Add(4 * time.Minute); ; time.Sleep(5 * time.Second) {
		last = map[string][]string{}
		for name, empty := range emptyPages(t, admin, partner, tenant) {
			last[name] = empty
		}
		if len(last) == 0 {
			return
		}
		if time.Now().After(deadline) {
			break
		}
	}
	for name, empty := range last {
		t.Errorf("%s still shows %q", name, empty)
	}
}

// emptyPages opens every page and returns those showing an empty state,
// with what they showed.
func emptyPages(t *testing.T, admin, partner, tenant *consoleUser) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	home := admin.get(t, "/console/")
	tenantID := admin.find(t, home, `href="/console/tenants/([0-9a-f-]{36})">Acme Retail<`)
	tp := "/console/tenants/" + tenantID
	check := func(u *consoleUser, p consolePage) string {
		body := u.get(t, p.path)
		for _, e := range p.empty {
			if strings.Contains(body, e) {
				out[p.name] = append(out[p.name], e)
			}
		}
		return body
	}
	check(admin, consolePage{"admin home", "/console/", []string{
		"<p>0 bodies received", `<span class="">0 poison</span>`, `<span class="">0 orphaned`,
		"<tr><th>Requests</th><td>0</td>", "No queue figures", "<tr><th>Subscriptions</th><td>0</td>",
		"<tr><th>Attempts</th><td>0</td>", "No billed usage this month yet.", "Being computed", "No tenants.",
	}})
	check(partner, consolePage{"partner home", "/console/", []string{"No tenants."}})
	numbers := check(tenant, consolePage{"tenant", tp, []string{"No phone numbers seen yet."}})
	templates := check(tenant, consolePage{"templates", tp + "/templates", []string{"No templates seen yet."}})
	consent := check(tenant, consolePage{"consent", tp + "/consent", []string{"No entries."}})
	pages := []consolePage{
		{"alerts", tp + "/alerts?state=all", []string{"No alerts."}},
		{"usage", tp + "/usage", []string{"No billable messages this month."}},
		{"insights", tp + "/insights", []string{"No messages in the range.", "No journeys defined.", "No experiments defined.",
			"<small>0 entered", " completed (–)", "– (0/0)"}},
	}
	if id := tenant.match(numbers, `href="`+tp+`/numbers/([0-9a-f-]{36})"`); id != "" {
		pages = append(pages, consolePage{"number", tp + "/numbers/" + id, []string{"No changes recorded."}})
	}
	if id := tenant.match(templates, `href="`+tp+`/templates/([0-9]+)"`); id != "" {
		pages = append(pages, consolePage{"template", tp + "/templates/" + id, []string{"No changes recorded."}})
	}
	if m := regexp.MustCompile(`href="` + tp + `/consent/contacts/([0-9a-f-]{36})">([0-9]+)<`).FindStringSubmatch(consent); m != nil {
		pages = append(pages,
			consolePage{"contact", tp + "/consent/contacts/" + m[1], []string{"No consent recorded."}},
			consolePage{"eligibility", tp + "/consent/eligibility?kind=marketing&wa_id=" + m[2], []string{`class="error"`}})
	}
	for _, p := range pages {
		body := check(tenant, p)
		if p.name == "eligibility" && !strings.Contains(body, "llowed</h2>") {
			out[p.name] = append(out[p.name], "no answer")
		}
	}
	return out
}

// catchUpClock starts at from and moves step on every reading, but never
// past the wall clock, so fast-played events are dated in the past.
func catchUpClock(from time.Time, step time.Duration) func() time.Time {
	var mu sync.Mutex
	at := from
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		at = at.Add(step)
		if now := time.Now(); at.After(now) {
			at = now
		}
		return at
	}
}

// consoleUser is a browser logged in to the console.
type consoleUser struct {
	base   string
	client *http.Client
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func loginConsole(t *testing.T, base, email string) *consoleUser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	u := &consoleUser{base: base, client: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	token := u.find(t, u.get(t, "/console/login"), csrfField.String())
	res, err := u.client.PostForm(base+"/console/login", url.Values{
		"csrf_token": {token}, "email": {email}, "password": {demoConsolePassword},
	})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Request.URL.Path == "/console/login" {
		t.Fatalf("login %s: still on the login page (%d)", email, res.StatusCode)
	}
	return u
}

func (u *consoleUser) get(t *testing.T, path string) string {
	t.Helper()
	res, err := u.client.Get(u.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d, %v", path, res.StatusCode, err)
	}
	return string(b)
}

// find returns the first group of pattern in body, failing without one.
func (u *consoleUser) find(t *testing.T, body, pattern string) string {
	t.Helper()
	m := u.match(body, pattern)
	if m == "" {
		t.Fatalf("no %s in the page", pattern)
	}
	return m
}

func (u *consoleUser) match(body, pattern string) string {
	if m := regexp.MustCompile(pattern).FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}
