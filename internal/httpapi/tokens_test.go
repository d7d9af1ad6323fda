package httpapi_test

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/config"
)

type forged struct{ name, token string }

// forgedTokens returns tokens for the admin client that a verifier must
// refuse: each breaks one rule.
func forgedTokens(t *testing.T, e *env) []forged {
	t.Helper()
	p, err := e.svc.Authenticate(context.Background(), e.admin.Client.ClientID, e.admin.Secret)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(i *auth.Issuer, at time.Time) string {
		t.Helper()
		tok, _, err := i.Issue(p, at)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	otherKey, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	otherRing, err := auth.NewKeyring([]config.NamedKey{otherKey})
	if err != nil {
		t.Fatal(err)
	}
	// A key with the genuine kid but other bytes: the kid alone proves nothing.
	sameKid, err := auth.NewKeyring([]config.NamedKey{{ID: e.keyring.SigningKeyID(), Key: otherKey.Key}})
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{
		"iss": testIssuer, "aud": testAudience, "sub": p.ClientID.String(), "role": "admin", "scope": "admin",
		"iat": time.Now().Unix(), "nbf": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(), "jti": uuid.NewString(),
	}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	// HS256 keyed with the public key: the classic key-confusion attack.
	pub := ed25519.NewKeyFromSeed(otherKey.Key).Public().(ed25519.PublicKey)
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	hs.Header["kid"] = e.keyring.SigningKeyID()
	confused, err := hs.SignedString([]byte(pub))
	if err != nil {
		t.Fatal(err)
	}
	return []forged{
		{"expired", issue(e.issuer, time.Now().Add(-2*time.Hour))},
		{"alg none", none},
		{"HS256 with a public key", confused},
		{"wrong audience", issue(auth.NewIssuer(e.keyring, testIssuer, "someone-else", 15*time.Minute), time.Now())},
		{"wrong issuer", issue(auth.NewIssuer(e.keyring, "evil", testAudience, 15*time.Minute), time.Now())},
		{"unknown key", issue(auth.NewIssuer(otherRing, testIssuer, testAudience, 15*time.Minute), time.Now())},
		{"known kid, other key", issue(auth.NewIssuer(sameKid, testIssuer, testAudience, 15*time.Minute), time.Now())},
		{"not a JWT", "definitely-not-a-token"},
		{"truncated", issue(e.issuer, time.Now())[:40]},
	}
}
