package auth

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
)

// validClaims is a payload Verify accepts at t0; each rejection case changes
// one thing about it.
func validClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss":   testIssuer,
		"aud":   testAudience,
		"sub":   uuid.NewString(),
		"iat":   t0.Unix(),
		"nbf":   t0.Unix(),
		"exp":   t0.Add(testTTL).Unix(),
		"jti":   uuid.NewString(),
		"role":  "tenant",
		"tid":   uuid.NewString(),
		"scope": ScopeQualityRead,
	}
}

func with(change func(jwt.MapClaims)) jwt.MapClaims {
	c := validClaims()
	change(c)
	return c
}

func TestVerifyRejects(t *testing.T) {
	key, other := mustKey(t), mustKey(t)
	ring := mustKeyring(t, key)
	priv, otherPriv := privateKey(key), privateKey(other)
	pub := priv.Public().(ed25519.PublicKey)
	v := newTestVerifier(ring, &fakeChecker{}, 0, &clock{t: t0})
	edKnown := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodEdDSA, priv, key.ID, c) }

	// A genuine token whose payload is swapped after signing.
	genuine := strings.Split(edKnown(validClaims()), ".")
	forged := base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"` + testIssuer + `","aud":"` + testAudience +
		`","sub":"` + uuid.NewString() + `","exp":9999999999,"role":"admin","scope":"admin"}`))

	tests := []struct {
		name    string
		token   string
		wantMsg string
	}{
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, key.ID, validClaims()), "invalid token"},
		{"HS256 keyed with the public key", sign(t, jwt.SigningMethodHS256, []byte(pub), key.ID, validClaims()), "invalid token"},
		{"unknown key", sign(t, jwt.SigningMethodEdDSA, otherPriv, other.ID, validClaims()), "invalid token"},
		{"known kid with another key's signature", sign(t, jwt.SigningMethodEdDSA, otherPriv, key.ID, validClaims()), "invalid token"},
		{"no kid", sign(t, jwt.SigningMethodEdDSA, priv, "", validClaims()), "invalid token"},
		{"payload swapped after signing", genuine[0] + "." + forged + "." + genuine[2], "invalid token"},
		{"expired", edKnown(with(func(c jwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = t0.Add(-time.Hour).Unix(), t0.Add(-time.Hour).Unix(), t0.Add(-Leeway-time.Second).Unix()
		})), "token expired"},
		{"nbf in the future", edKnown(with(func(c jwt.MapClaims) { c["nbf"] = t0.Add(5 * time.Minute).Unix() })), "token not yet valid"},
		{"iat in the future", edKnown(with(func(c jwt.MapClaims) { c["iat"] = t0.Add(5 * time.Minute).Unix() })), "token not yet valid"},
		{"wrong issuer", edKnown(with(func(c jwt.MapClaims) { c["iss"] = "someone-else" })), "invalid token"},
		{"wrong audience", edKnown(with(func(c jwt.MapClaims) { c["aud"] = []string{"other-api"} })), "invalid token"},
		{"missing exp", edKnown(with(func(c jwt.MapClaims) { delete(c, "exp") })), "invalid token"},
		{"missing aud", edKnown(with(func(c jwt.MapClaims) { delete(c, "aud") })), "invalid token"},
		{"missing iss", edKnown(with(func(c jwt.MapClaims) { delete(c, "iss") })), "invalid token"},
		{"exp not a number", edKnown(with(func(c jwt.MapClaims) { c["exp"] = "tomorrow" })), "invalid token"},
		{"unknown role", edKnown(with(func(c jwt.MapClaims) { c["role"] = "root" })), "invalid token"},
		{"missing role", edKnown(with(func(c jwt.MapClaims) { delete(c, "role") })), "invalid token"},
		{"tenant role without tid", edKnown(with(func(c jwt.MapClaims) { delete(c, "tid") })), "invalid token"},
		{"tenant role with pid", edKnown(with(func(c jwt.MapClaims) { c["pid"] = uuid.NewString() })), "invalid token"},
		{"partner role without pid", edKnown(with(func(c jwt.MapClaims) { c["role"] = "partner"; delete(c, "tid") })), "invalid token"},
		{"admin role with tid", edKnown(with(func(c jwt.MapClaims) { c["role"] = "admin" })), "invalid token"},
		{"tid not a uuid", edKnown(with(func(c jwt.MapClaims) { c["tid"] = "acme" })), "invalid token"},
		{"sub not a uuid", edKnown(with(func(c jwt.MapClaims) { c["sub"] = "tnt_abc" })), "invalid token"},
		{"admin scope on tenant role", edKnown(with(func(c jwt.MapClaims) { c["scope"] = "quality:read admin" })), "invalid token"},
		{"empty", "", "invalid token"},
		{"garbage", "not a token", "invalid token"},
		{"garbage segments", "eyJhbGciOiJFZERTQSJ9.e30.AAAA", "invalid token"},
		{"oversized", strings.Repeat("a", maxTokenLen+1), "invalid token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tc.token)
			if err == nil {
				t.Fatalf("Verify accepted the token as %+v", p)
			}
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.Unauthenticated || e.Message != tc.wantMsg {
				t.Errorf("Verify error = %v, want %s %q", err, apperr.Unauthenticated, tc.wantMsg)
			}
		})
	}
}

func TestVerifyAcceptsWithinLeeway(t *testing.T) {
	key := mustKey(t)
	priv := privateKey(key)
	v := newTestVerifier(mustKeyring(t, key), &fakeChecker{}, 0, &clock{t: t0})
	tests := []struct {
		name   string
		change func(jwt.MapClaims)
	}{
		{"expired less than the leeway ago", func(c jwt.MapClaims) { c["exp"] = t0.Add(-Leeway + time.Second).Unix() }},
		{"nbf less than the leeway ahead", func(c jwt.MapClaims) { c["nbf"] = t0.Add(Leeway - time.Second).Unix() }},
		{"audience among several", func(c jwt.MapClaims) { c["aud"] = []string{"other-api", testAudience} }},
		{"unknown scope kept", func(c jwt.MapClaims) { c["scope"] = "quality:read reports:read" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token := sign(t, jwt.SigningMethodEdDSA, priv, key.ID, with(tc.change))
			if _, err := v.Verify(context.Background(), token); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

func TestKeyRotation(t *testing.T) {
	oldKey, newKey := mustKey(t), mustKey(t)
	before := mustKeyring(t, oldKey)
	after := mustKeyring(t, newKey, oldKey)
	clk := &clock{t: t0}
	p := tenantPrincipal()

	oldToken, _, err := NewIssuer(before, testIssuer, testAudience, testTTL).Issue(p, t0)
	if err != nil {
		t.Fatalf("Issue with the old key: %v", err)
	}
	newToken, _, err := NewIssuer(after, testIssuer, testAudience, testTTL).Issue(p, t0)
	if err != nil {
		t.Fatalf("Issue with the new key: %v", err)
	}
	parsed, _, err := jwt.NewParser().ParseUnverified(newToken, jwt.MapClaims{})
	if err != nil {
		t.Fatalf("ParseUnverified: %v", err)
	}
	if kid := parsed.Header["kid"]; kid != newKey.ID {
		t.Errorf("new token kid = %v, want %q", kid, newKey.ID)
	}

	tests := []struct {
		name    string
		ring    *Keyring
		token   string
		wantErr bool
	}{
		{"old token, rotated ring", after, oldToken, false},
		{"new token, rotated ring", after, newToken, false},
		{"new token, ring without the new key", before, newToken, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newTestVerifier(tc.ring, &fakeChecker{}, 0, clk).Verify(context.Background(), tc.token)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Verify error = %v, want error: %v", err, tc.wantErr)
			}
		})
	}
}

func TestDisabledClientRefusedAfterCacheExpiry(t *testing.T) {
	ring := mustKeyring(t, mustKey(t))
	p := tenantPrincipal()
	token, _, err := NewIssuer(ring, testIssuer, testAudience, testTTL).Issue(p, t0)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	checker := &fakeChecker{}
	clk := &clock{t: t0}
	v := newTestVerifier(ring, checker, 30*time.Second, clk)
	ctx := context.Background()

	if _, err := v.Verify(ctx, token); err != nil {
		t.Fatalf("Verify while active: %v", err)
	}
	checker.set(p.ClientID, true, nil)

	clk.Advance(29 * time.Second)
	if _, err := v.Verify(ctx, token); err != nil {
		t.Fatalf("Verify within the cache TTL: %v (the cached answer should still hold)", err)
	}
	if n := checker.callCount(); n != 1 {
		t.Errorf("checker called %d times within the TTL, want 1", n)
	}

	clk.Advance(2 * time.Second)
	_, err = v.Verify(ctx, token)
	if e, ok := apperr.As(err); !ok || e.Code != apperr.Unauthenticated || e.Message != "client disabled" {
		t.Fatalf("Verify after the cache expired: %v, want unauthenticated \"client disabled\"", err)
	}
	if n := checker.callCount(); n != 2 {
		t.Errorf("checker called %d times, want 2", n)
	}
}

func TestCheckerErrorFailsClosed(t *testing.T) {
	ring := mustKeyring(t, mustKey(t))
	p := tenantPrincipal()
	token, _, err := NewIssuer(ring, testIssuer, testAudience, testTTL).Issue(p, t0)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	checker := &fakeChecker{}
	checker.set(p.ClientID, false, errors.New("connection refused"))
	v := newTestVerifier(ring, checker, 30*time.Second, &clock{t: t0})

	if _, err := v.Verify(context.Background(), token); apperr.CodeOf(err) != apperr.Unavailable {
		t.Fatalf("Verify with a failing checker: %v, want code %s", err, apperr.Unavailable)
	}
	// The failure must not be cached: once the store answers, the token works.
	checker.set(p.ClientID, false, nil)
	if _, err := v.Verify(context.Background(), token); err != nil {
		t.Fatalf("Verify after the checker recovered: %v", err)
	}
}

func TestVerifyConcurrent(t *testing.T) {
	ring := mustKeyring(t, mustKey(t))
	iss := NewIssuer(ring, testIssuer, testAudience, testTTL)
	clk := &clock{t: t0}
	v := newTestVerifier(ring, &fakeChecker{}, 30*time.Second, clk)
	tokens := make([]string, 4)
	for i := range tokens {
		tok, _, err := iss.Issue(tenantPrincipal(), t0)
		if err != nil {
			t.Fatalf("Issue: %v", err)
		}
		tokens[i] = tok
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8*len(tokens))
	for range 8 {
		for _, tok := range tokens {
			wg.Go(func() {
				clk.Advance(time.Second)
				_, err := v.Verify(context.Background(), tok)
				errs <- err
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Verify: %v", err)
		}
	}
}

func TestClientCacheBounded(t *testing.T) {
	const limit = 4
	tests := []struct {
		name    string
		advance time.Duration // between filling the cache and adding one more
		wantLen int
	}{
		{"expired entries are swept", time.Minute, 1},
		{"live entries make room", time.Second, limit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClientCache(30*time.Second, limit)
			for range limit {
				c.put(uuid.New(), true, t0)
			}
			id := uuid.New()
			c.put(id, false, t0.Add(tc.advance))
			if got := c.len(); got != tc.wantLen {
				t.Errorf("len = %d, want %d", got, tc.wantLen)
			}
			if active, ok := c.get(id, t0.Add(tc.advance)); !ok || active {
				t.Errorf("get(new entry) = %v, %v; want false, true", active, ok)
			}
		})
	}
}
