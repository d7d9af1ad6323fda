package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wabsp/wabsp/internal/config"
)

// Keyring holds the Ed25519 keys tokens are signed and verified with. The
// first key signs new tokens; every key verifies, so a key being rotated out
// keeps its tokens valid until they expire.
type Keyring struct {
	signingID string
	signing   ed25519.PrivateKey
	ids       []string // ring order, for a stable JWKS
	public    map[string]ed25519.PublicKey
}

// NewKeyring builds a keyring from named 32-byte Ed25519 seeds, the signing
// key first.
func NewKeyring(keys []config.NamedKey) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("auth: keyring needs at least one key")
	}
	k := &Keyring{public: make(map[string]ed25519.PublicKey, len(keys))}
	for i, nk := range keys {
		if nk.ID == "" {
			return nil, fmt.Errorf("auth: key %d has no id", i)
		}
		if _, dup := k.public[nk.ID]; dup {
			return nil, fmt.Errorf("auth: key id %q appears twice", nk.ID)
		}
		if len(nk.Key) != ed25519.SeedSize {
			return nil, fmt.Errorf("auth: key %q must be a %d-byte seed, got %d bytes", nk.ID, ed25519.SeedSize, len(nk.Key))
		}
		priv := ed25519.NewKeyFromSeed(nk.Key)
		if i == 0 {
			k.signingID, k.signing = nk.ID, priv
		}
		k.ids = append(k.ids, nk.ID)
		k.public[nk.ID] = priv.Public().(ed25519.PublicKey)
	}
	return k, nil
}

// SigningKeyID returns the kid new tokens carry.
func (k *Keyring) SigningKeyID() string { return k.signingID }

func (k *Keyring) publicKey(kid string) (ed25519.PublicKey, bool) {
	pub, ok := k.public[kid]
	return pub, ok
}

// GenerateKey returns a fresh random signing key. The kid starts with the
// UTC date so operators can tell old keys from new ones during rotation.
func GenerateKey() (config.NamedKey, error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return config.NamedKey{}, fmt.Errorf("auth: generate key: %w", err)
	}
	return config.NamedKey{ID: newKeyID(), Key: seed}, nil
}

func newKeyID() string {
	return time.Now().UTC().Format("20060102") + "-" + strings.ToLower(rand.Text()[:8])
}

// JWKSet is a JSON Web Key Set (RFC 7517 section 5), as served at the
// well-known JWKS endpoint.
type JWKSet struct {
	Keys []JWK `json:"keys"`
}

// JWK is one public key in the set, in the OKP form of RFC 8037.
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
}

// JWKS returns the public half of every key, so other services can verify
// tokens without sharing secrets.
func (k *Keyring) JWKS() JWKSet {
	set := JWKSet{Keys: make([]JWK, 0, len(k.ids))}
	for _, id := range k.ids {
		set.Keys = append(set.Keys, JWK{
			Kty: "OKP",
			Crv: "Ed25519",
			X:   base64.RawURLEncoding.EncodeToString(k.public[id]),
			Kid: id,
			Use: "sig",
			Alg: "EdDSA",
		})
	}
	return set
}
