package auth

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// joseDir holds a tiny Node project that verifies tokens with the jose
// library, an implementation that shares no code with ours.
const joseDir = "testdata/jose"

// requireJose skips the test when Node or jose is not installed, unless CI
// asked for these tests with WABSP_REQUIRE_NODE_TESTS=1.
func requireJose(t *testing.T) string {
	t.Helper()
	fail := t.Skipf
	if os.Getenv("WABSP_REQUIRE_NODE_TESTS") == "1" {
		fail = t.Fatalf
	}
	node, err := exec.LookPath("node")
	if err != nil {
		fail("node not found (%v); install Node.js >= 20, then: cd internal/auth/%s && npm ci", err, joseDir)
	}
	if _, err := os.Stat(filepath.Join(joseDir, "node_modules", "jose")); err != nil {
		fail("jose is not installed; run: cd internal/auth/%s && npm ci", joseDir)
	}
	return node
}

func TestTokensVerifyWithJose(t *testing.T) {
	node := requireJose(t)
	key, stranger := mustKey(t), mustKey(t)
	ring := mustKeyring(t, key)
	jwksPath := filepath.Join(t.TempDir(), "jwks.json")
	raw, err := json.Marshal(ring.JWKS())
	if err != nil {
		t.Fatalf("marshal JWKS: %v", err)
	}
	if err := os.WriteFile(jwksPath, raw, 0o600); err != nil {
		t.Fatalf("write JWKS: %v", err)
	}

	p := tenantPrincipal()
	now := time.Now() // jose checks exp and nbf against the real clock
	good, _, err := NewIssuer(ring, testIssuer, testAudience, testTTL).Issue(p, now)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	foreign, _, err := NewIssuer(mustKeyring(t, stranger), testIssuer, testAudience, testTTL).Issue(p, now)
	if err != nil {
		t.Fatalf("Issue with a foreign key: %v", err)
	}
	claims := validClaims()
	claims["sub"], claims["tid"] = p.ClientID.String(), p.TenantID.String()
	claims["iat"], claims["nbf"], claims["exp"] = now.Unix(), now.Unix(), now.Add(testTTL).Unix()
	forgedKid := sign(t, jwt.SigningMethodEdDSA, privateKey(stranger), key.ID, claims)

	tests := []struct {
		name    string
		token   string
		aud     string
		wantErr string // jose's error code, printed by verify.mjs
	}{
		{"issued token", good, testAudience, ""},
		{"key not in the JWKS", foreign, testAudience, "ERR_JWKS_NO_MATCHING_KEY"},
		{"known kid, foreign signature", forgedKid, testAudience, "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"},
		{"other audience", good, "another-api", "ERR_JWT_CLAIM_VALIDATION_FAILED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(node, "verify.mjs", "--jwks", jwksPath, "--iss", testIssuer, "--aud", tc.aud)
			cmd.Dir = joseDir
			cmd.Stdin = bytes.NewBufferString(tc.token)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("jose accepted the token: %s", stdout.String())
				}
				if !strings.Contains(stderr.String(), tc.wantErr) {
					t.Fatalf("jose rejected the token for another reason than %s: %s", tc.wantErr, stderr.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("jose rejected the token: %v\n%s", err, stderr.String())
			}
			var payload struct {
				Sub  string `json:"sub"`
				Role string `json:"role"`
				TID  string `json:"tid"`
			}
			if err := json.Unmarshal(stdout.Bytes(), &payload); err != nil {
				t.Fatalf("decode jose output %q: %v", stdout.String(), err)
			}
			if payload.Sub != p.ClientID.String() || payload.Role != string(p.Role) || payload.TID != p.TenantID.String() {
				t.Errorf("jose payload sub=%q role=%q tid=%q, want %s %s %s",
					payload.Sub, payload.Role, payload.TID, p.ClientID, p.Role, p.TenantID)
			}
		})
	}
}
