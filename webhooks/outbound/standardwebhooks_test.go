package outbound

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wabsp/wabsp/internal/events"
)

// swDir holds a tiny Node project that receives webhooks and verifies them
// with the Standard Webhooks reference library.
const swDir = "testdata/standardwebhooks"

// requireNode skips the test when Node or the library is not installed,
// unless CI asked for these tests with WABSP_REQUIRE_NODE_TESTS=1.
func requireNode(t *testing.T) string {
	t.Helper()
	fail := t.Skipf
	if os.Getenv("WABSP_REQUIRE_NODE_TESTS") == "1" {
		fail = t.Fatalf
	}
	node, err := exec.LookPath("node")
	if err != nil {
		fail("node not found (%v); install Node.js >= 20, then: cd webhooks/outbound/%s && npm ci", err, swDir)
	}
	if _, err := os.Stat(filepath.Join(swDir, "node_modules", "standardwebhooks")); err != nil {
		fail("standardwebhooks is not installed; run: cd webhooks/outbound/%s && npm ci", swDir)
	}
	return node
}

// verdict is one line the Node receiver prints per request.
type verdict struct {
	ID    string `json:"id"`
	OK    bool   `json:"ok"`
	Type  string `json:"type"`
	Error string `json:"error"`
}

// startReceiver runs receiver.mjs trusting secrets and returns its URL and
// its verdicts.
func startReceiver(t *testing.T, node string, secrets ...string) (string, <-chan verdict) {
	t.Helper()
	args := []string{"receiver.mjs"}
	for _, s := range secrets {
		args = append(args, "--secret", s)
	}
	cmd := exec.Command(node, args...)
	cmd.Dir = swDir
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || !strings.HasPrefix(lines.Text(), "listening ") {
		t.Fatalf("receiver did not start: %q", lines.Text())
	}
	url := "http://127.0.0.1:" + strings.TrimPrefix(lines.Text(), "listening ") + "/"
	out := make(chan verdict, 16)
	go func() {
		defer close(out)
		for lines.Scan() {
			var v verdict
			if json.Unmarshal(lines.Bytes(), &v) == nil {
				out <- v
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	return url, out
}

func TestSignaturesVerifyWithStandardWebhooks(t *testing.T) {
	node := requireNode(t)
	ctx := context.Background()
	tests := []struct {
		name string
		// trust picks the secrets the receiver knows from the first and the
		// rotated secret.
		trust  func(first, rotated string) []string
		wantOK bool
	}{
		{"current secret", func(_, rotated string) []string { return []string{rotated} }, true},
		{"previous secret during the overlap", func(first, _ string) []string { return []string{first} }, true},
		{"a stranger's secret", func(string, string) []string { return []string{newSecret()} }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			acme := e.tenant(t, "Acme")
			sub, first := e.subscribe(t, TenantOwner(acme), "https://receiver.example.com/", "*")
			_, rotated, err := e.svc.RotateSecret(ctx, TenantOwner(acme), sub.ID, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			url, verdicts := startReceiver(t, node, tc.trust(first, rotated)...)
			if _, err := e.svc.Update(ctx, TenantOwner(acme), sub.ID, SubscriptionPatch{URL: &url}); err != nil {
				t.Fatal(err)
			}
			e.emit(t, acme, events.OptinChanged, "c1", map[string]string{"action": "opt_out"})
			e.pumpAll(t)
			if _, err := e.svc.SendTest(ctx, TenantOwner(acme), sub.ID); err != nil {
				t.Fatal(err)
			}
			res, err := e.svc.Deliver(ctx, sub.ID, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if res.Attempts == 0 {
				t.Fatal("no attempt was made")
			}
			if tc.wantOK && res.Delivered != 2 {
				t.Errorf("delivered %d of 2", res.Delivered)
			}
			for range res.Attempts {
				v := <-verdicts
				if v.OK != tc.wantOK {
					t.Errorf("standardwebhooks verdict on %s: ok=%v (%s), want ok=%v", v.ID, v.OK, v.Error, tc.wantOK)
				}
			}
		})
	}
}
