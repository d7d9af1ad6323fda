// Package secretbox encrypts secrets kept at rest, such as the Meta
// system-user access tokens stored for each WABA, with AES-256-GCM under a
// rotating keyring. Ciphertexts are stored beside the id of the key that
// sealed them, so keys can be rotated without re-encrypting everything at
// once.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wabsp/wabsp/internal/config"
)

// KeySize is the length of an AES-256 key.
const KeySize = 32

var (
	// ErrUnknownKey means a ciphertext names a key the keyring no longer
	// (or never) had.
	ErrUnknownKey = errors.New("secretbox: unknown key id")
	// ErrOpen means authentication failed: the ciphertext was altered,
	// belongs to another row (different aad), or was sealed by another key.
	ErrOpen = errors.New("secretbox: message authentication failed")
)

// Keyring seals with its first key and opens with any of its keys. It is
// safe for concurrent use.
type Keyring struct {
	activeID string
	aeads    map[string]cipher.AEAD
}

// New builds a keyring from named 32-byte keys, the encrypting key first.
func New(keys []config.NamedKey) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("secretbox: keyring needs at least one key")
	}
	k := &Keyring{activeID: keys[0].ID, aeads: make(map[string]cipher.AEAD, len(keys))}
	for i, nk := range keys {
		if nk.ID == "" {
			return nil, fmt.Errorf("secretbox: key %d has no id", i)
		}
		if _, dup := k.aeads[nk.ID]; dup {
			return nil, fmt.Errorf("secretbox: key id %q appears twice", nk.ID)
		}
		if len(nk.Key) != KeySize {
			return nil, fmt.Errorf("secretbox: key %q must be %d bytes, got %d", nk.ID, KeySize, len(nk.Key))
		}
		block, err := aes.NewCipher(nk.Key)
		if err != nil {
			return nil, fmt.Errorf("secretbox: key %q: %w", nk.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("secretbox: key %q: %w", nk.ID, err)
		}
		k.aeads[nk.ID] = aead
	}
	return k, nil
}

// GenerateKey returns a fresh random key. The kid starts with the UTC date
// so operators can tell old keys from new ones during rotation.
func GenerateKey() (config.NamedKey, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return config.NamedKey{}, fmt.Errorf("secretbox: generate key: %w", err)
	}
	id := time.Now().UTC().Format("20060102") + "-" + strings.ToLower(rand.Text()[:8])
	return config.NamedKey{ID: id, Key: key}, nil
}

// ActiveID returns the id of the key Encrypt uses.
func (k *Keyring) ActiveID() string { return k.activeID }

// Encrypt seals plaintext with the active key and returns the nonce followed
// by the sealed bytes, and the key id to store beside them. aad is not
// stored; it binds the ciphertext to its row (for example the owning WABA's
// uuid), so a ciphertext copied to another row fails to decrypt there.
//
// Nonces are random: at 96 bits, 2^32 encryptions per key keep the collision
// risk within NIST's bound, far beyond how often access tokens change.
func (k *Keyring) Encrypt(plaintext, aad []byte) (ciphertext []byte, kid string, err error) {
	aead := k.aeads[k.activeID]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, "", fmt.Errorf("secretbox: read nonce: %w", err)
	}
	return aead.Seal(nonce, nonce, plaintext, aad), k.activeID, nil
}

// Decrypt opens a ciphertext sealed under kid with the same aad. It fails
// with ErrUnknownKey or ErrOpen.
func (k *Keyring) Decrypt(ciphertext []byte, kid string, aad []byte) ([]byte, error) {
	aead, ok := k.aeads[kid]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKey, kid)
	}
	if len(ciphertext) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("%w: ciphertext too short", ErrOpen)
	}
	nonce, sealed := ciphertext[:aead.NonceSize()], ciphertext[aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, sealed, aad)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
