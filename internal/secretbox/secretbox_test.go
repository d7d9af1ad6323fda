package secretbox

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wabsp/wabsp/internal/config"
)

func mustKey(t *testing.T) config.NamedKey {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	return k
}

func mustNew(t *testing.T, keys ...config.NamedKey) *Keyring {
	t.Helper()
	k, err := New(keys)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return k
}

func TestRoundTrip(t *testing.T) {
	key := mustKey(t)
	ring := mustNew(t, key)
	tests := []struct {
		name      string
		plaintext []byte
		aad       []byte
	}{
		{"access token", []byte("EAAG...system-user-token"), []byte("waba-row-1")},
		{"empty plaintext", []byte{}, []byte("waba-row-1")},
		{"no aad", []byte("secret"), nil},
		{"large", bytes.Repeat([]byte("x"), 64<<10), []byte("row")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ct, kid, err := ring.Encrypt(tc.plaintext, tc.aad)
			if err != nil {
				t.Fatalf("Encrypt: %v", err)
			}
			if kid != key.ID || ring.ActiveID() != key.ID {
				t.Errorf("kid = %q, ActiveID = %q, want %q", kid, ring.ActiveID(), key.ID)
			}
			if len(tc.plaintext) > 8 && bytes.Contains(ct, tc.plaintext) {
				t.Error("ciphertext contains the plaintext")
			}
			got, err := ring.Decrypt(ct, kid, tc.aad)
			if err != nil {
				t.Fatalf("Decrypt: %v", err)
			}
			if diff := cmp.Diff(tc.plaintext, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("plaintext (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEncryptUsesFreshNonces(t *testing.T) {
	ring := mustNew(t, mustKey(t))
	a, _, errA := ring.Encrypt([]byte("same"), []byte("row"))
	b, _, errB := ring.Encrypt([]byte("same"), []byte("row"))
	if errA != nil || errB != nil {
		t.Fatalf("Encrypt: %v, %v", errA, errB)
	}
	if bytes.Equal(a, b) {
		t.Fatal("two encryptions of the same plaintext are identical")
	}
}

func TestRotation(t *testing.T) {
	oldKey, newKey := mustKey(t), mustKey(t)
	aad := []byte("waba-row-1")
	ct, oldID, err := mustNew(t, oldKey).Encrypt([]byte("token"), aad)
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	rotated := mustNew(t, newKey, oldKey)
	got, err := rotated.Decrypt(ct, oldID, aad)
	if err != nil || string(got) != "token" {
		t.Fatalf("Decrypt with the rotated ring = %q, %v; want \"token\"", got, err)
	}
	if _, kid, err := rotated.Encrypt([]byte("token"), aad); err != nil || kid != newKey.ID {
		t.Errorf("Encrypt after rotation used kid %q (err %v), want %q", kid, err, newKey.ID)
	}
}

func TestDecryptRejects(t *testing.T) {
	key, other := mustKey(t), mustKey(t)
	ring := mustNew(t, key, other)
	aad := []byte("waba-row-1")
	ct, kid, err := ring.Encrypt([]byte("access token"), aad)
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	flip := func(i int) []byte {
		c := bytes.Clone(ct)
		c[i] ^= 0x01
		return c
	}
	tests := []struct {
		name    string
		ct      []byte
		kid     string
		aad     []byte
		wantErr error
	}{
		{"wrong aad", ct, kid, []byte("waba-row-2"), ErrOpen},
		{"missing aad", ct, kid, nil, ErrOpen},
		{"tampered nonce", flip(0), kid, aad, ErrOpen},
		{"tampered body", flip(len(ct) / 2), kid, aad, ErrOpen},
		{"tampered tag", flip(len(ct) - 1), kid, aad, ErrOpen},
		{"truncated", ct[:len(ct)-1], kid, aad, ErrOpen},
		{"too short", ct[:10], kid, aad, ErrOpen},
		{"empty", nil, kid, aad, ErrOpen},
		{"other key in the ring", ct, other.ID, aad, ErrOpen},
		{"unknown kid", ct, "retired-key", aad, ErrUnknownKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ring.Decrypt(tc.ct, tc.kid, tc.aad)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Decrypt = %q, %v; want %v", got, err, tc.wantErr)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	tests := []struct {
		name string
		keys []config.NamedKey
	}{
		{"no keys", nil},
		{"empty id", []config.NamedKey{{ID: "", Key: key}}},
		{"duplicate id", []config.NamedKey{{ID: "a", Key: key}, {ID: "a", Key: key}}},
		{"AES-128 key", []config.NamedKey{{ID: "a", Key: key[:16]}}},
		{"long key", []config.NamedKey{{ID: "a", Key: append(bytes.Clone(key), 0)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.keys); err == nil {
				t.Fatal("New succeeded, want an error")
			}
		})
	}
}
