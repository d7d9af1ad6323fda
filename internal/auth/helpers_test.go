package auth

import (
	"context"
	"crypto/ed25519"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/config"
)

const (
	testIssuer   = "wabsp-test"
	testAudience = "wabsp-api-test"
	testTTL      = 15 * time.Minute
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func mustKey(t *testing.T) config.NamedKey {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	return k
}

func mustKeyring(t *testing.T, keys ...config.NamedKey) *Keyring {
	t.Helper()
	k, err := NewKeyring(keys)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return k
}

// clock is a settable time source shared by a Verifier and its test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeChecker stands in for the api_clients lookup; the interface is ours to
// consume, so a fake here tests the Verifier, not storage.
type fakeChecker struct {
	mu       sync.Mutex
	disabled map[uuid.UUID]bool
	err      error
	calls    int
}

func (f *fakeChecker) ClientActive(_ context.Context, id uuid.UUID) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return false, f.err
	}
	return !f.disabled[id], nil
}

func (f *fakeChecker) set(id uuid.UUID, disabled bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.disabled == nil {
		f.disabled = map[uuid.UUID]bool{}
	}
	f.disabled[id] = disabled
	f.err = err
}

func (f *fakeChecker) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// newTestVerifier returns a Verifier reading time from clk.
func newTestVerifier(k *Keyring, checker ClientChecker, cacheTTL time.Duration, clk *clock) *Verifier {
	v := NewVerifier(k, testIssuer, testAudience, checker, cacheTTL)
	v.now = clk.Now
	return v
}

func tenantPrincipal() Principal {
	return Principal{
		ClientID:   uuid.New(),
		ClientName: "acme integration",
		Role:       RoleTenant,
		TenantID:   uuid.New(),
		Scopes:     []string{ScopeQualityRead, ScopeBillingRead},
	}
}

// sign builds a token the way an attacker or a buggy issuer might; kid is
// left out of the header when empty.
func sign(t *testing.T, method jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign test token: %v", err)
	}
	return s
}

func privateKey(k config.NamedKey) ed25519.PrivateKey { return ed25519.NewKeyFromSeed(k.Key) }
