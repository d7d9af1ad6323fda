package auth

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
)

func TestNewClientID(t *testing.T) {
	tests := []struct {
		name string
		role Role
		want string
	}{
		{"admin", RoleAdmin, `^adm_[a-z2-7]{20}$`},
		{"partner", RolePartner, `^prt_[a-z2-7]{20}$`},
		{"tenant", RoleTenant, `^tnt_[a-z2-7]{20}$`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := NewClientID(tc.role), NewClientID(tc.role)
			for _, id := range []string{a, b} {
				if !regexp.MustCompile(tc.want).MatchString(id) {
					t.Errorf("NewClientID(%q) = %q, want match %s", tc.role, id, tc.want)
				}
			}
			if a == b {
				t.Errorf("two NewClientID calls returned %q", a)
			}
		})
	}
}

func TestNewSecret(t *testing.T) {
	s, err := NewSecret()
	if err != nil {
		t.Fatalf("NewSecret: %v", err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(s, "wsk_"))
	if !strings.HasPrefix(s, "wsk_") || err != nil || len(raw) != 32 {
		t.Fatalf("NewSecret = %q, want wsk_ + base64url of 32 bytes (decode error %v)", s, err)
	}
	if s2, _ := NewSecret(); s2 == s {
		t.Fatalf("two NewSecret calls returned %q", s)
	}
}

func TestSecretHash(t *testing.T) {
	secret, err := NewSecret()
	if err != nil {
		t.Fatalf("NewSecret: %v", err)
	}
	hash := HashSecret(secret)
	parts := strings.Split(hash, "$")
	tests := []struct {
		name   string
		hash   string
		secret string
		want   bool
	}{
		{"right secret", hash, secret, true},
		{"wrong secret", hash, secret + "x", false},
		{"empty secret", hash, "", false},
		{"truncated secret", hash, secret[:len(secret)-1], false},
		{"hash of another secret", HashSecret("wsk_other"), secret, false},
		{"unknown version", "v2$" + parts[1] + "$" + parts[2], secret, false},
		{"salt swapped", parts[0] + "$" + b64([]byte("0123456789abcdef")) + "$" + parts[2], secret, false},
		{"digest truncated", parts[0] + "$" + parts[1] + "$" + parts[2][:10], secret, false},
		{"not base64", "v1$!!!$!!!", secret, false},
		{"empty salt", "v1$$" + parts[2], secret, false},
		{"empty hash", "", secret, false},
		{"plain text stored", secret, secret, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := CheckSecret(tc.hash, tc.secret); got != tc.want {
				t.Errorf("CheckSecret(%q, %q) = %v, want %v", tc.hash, tc.secret, got, tc.want)
			}
		})
	}
	if again := HashSecret(secret); again == hash {
		t.Errorf("HashSecret returned the same hash twice, so the salt is not random: %q", hash)
	}
	if strings.Contains(hash, strings.TrimPrefix(secret, "wsk_")) {
		t.Errorf("hash %q contains the secret", hash)
	}
}
