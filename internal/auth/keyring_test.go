package auth

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/internal/config"
)

func TestNewKeyringRejects(t *testing.T) {
	seed := bytes.Repeat([]byte{1}, ed25519.SeedSize)
	tests := []struct {
		name string
		keys []config.NamedKey
	}{
		{"no keys", nil},
		{"empty id", []config.NamedKey{{ID: "", Key: seed}}},
		{"duplicate id", []config.NamedKey{{ID: "a", Key: seed}, {ID: "a", Key: seed}}},
		{"short seed", []config.NamedKey{{ID: "a", Key: seed[:31]}}},
		{"full private key instead of seed", []config.NamedKey{{ID: "a", Key: ed25519.NewKeyFromSeed(seed)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewKeyring(tc.keys); err == nil {
				t.Fatal("NewKeyring succeeded, want an error")
			}
		})
	}
}

func TestJWKS(t *testing.T) {
	a, b := mustKey(t), mustKey(t)
	ring := mustKeyring(t, a, b)
	if got := ring.SigningKeyID(); got != a.ID {
		t.Errorf("SigningKeyID = %q, want the first key %q", got, a.ID)
	}
	x := func(k config.NamedKey) string {
		return base64.RawURLEncoding.EncodeToString(ed25519.NewKeyFromSeed(k.Key).Public().(ed25519.PublicKey))
	}
	want := JWKSet{Keys: []JWK{
		{Kty: "OKP", Crv: "Ed25519", X: x(a), Kid: a.ID, Use: "sig", Alg: "EdDSA"},
		{Kty: "OKP", Crv: "Ed25519", X: x(b), Kid: b.ID, Use: "sig", Alg: "EdDSA"},
	}}
	if diff := cmp.Diff(want, ring.JWKS()); diff != "" {
		t.Errorf("JWKS (-want +got):\n%s", diff)
	}
	raw, err := json.Marshal(ring.JWKS())
	if err != nil {
		t.Fatalf("marshal JWKS: %v", err)
	}
	for _, secret := range [][]byte{a.Key, b.Key} {
		if bytes.Contains(raw, []byte(base64.RawURLEncoding.EncodeToString(secret))) {
			t.Fatal("JWKS contains a private seed")
		}
	}
}

func TestGenerateKey(t *testing.T) {
	a, b := mustKey(t), mustKey(t)
	if len(a.Key) != ed25519.SeedSize {
		t.Errorf("seed is %d bytes, want %d", len(a.Key), ed25519.SeedSize)
	}
	if a.ID == b.ID || bytes.Equal(a.Key, b.Key) {
		t.Errorf("two GenerateKey calls collided: %q/%q", a.ID, b.ID)
	}
	if _, err := NewKeyring([]config.NamedKey{a, b}); err != nil {
		t.Errorf("generated keys do not form a keyring: %v", err)
	}
}
