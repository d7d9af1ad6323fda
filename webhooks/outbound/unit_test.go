package outbound

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestCatalogueSchemasAreObjects(t *testing.T) {
	for _, et := range Catalogue() {
		var s map[string]any
		if err := json.Unmarshal(et.DataSchema, &s); err != nil {
			t.Errorf("%s: schema is not JSON: %v", et.Type, err)
			continue
		}
		if s["type"] != "object" {
			t.Errorf("%s: data schema type = %v, want object", et.Type, s["type"])
		}
	}
	if n := len(Catalogue()); n != len(publishedTypes) {
		t.Errorf("catalogue has %d types, want %d", n, len(publishedTypes))
	}
}

func TestMatches(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		typ      string
		want     bool
	}{
		{"exact", []string{"optin.changed"}, "optin.changed", true},
		{"other exact", []string{"optin.changed"}, "account.updated", false},
		{"prefix wildcard", []string{"quality.*"}, "quality.alert.opened", true},
		{"nested prefix", []string{"quality.alert.*"}, "quality.alert.resolved", true},
		{"prefix is not a word prefix", []string{"quality.alert.*"}, "quality.phone_number.changed", false},
		{"everything", []string{"*"}, "meta.forwarded", true},
		{"test messages are never fanned out", []string{"*"}, TypeTest, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := matches(tc.patterns, tc.typ); got != tc.want {
				t.Errorf("matches(%v, %q) = %v, want %v", tc.patterns, tc.typ, got, tc.want)
			}
		})
	}
}

func TestCheckPattern(t *testing.T) {
	tests := []struct {
		pattern string
		ok      bool
	}{
		{"*", true},
		{"quality.*", true},
		{"template.status.changed", true},
		{"webhook.endpoint.disabled", true},
		{"quality.alert.open", false},
		{"nothing.*", false},
		{TypeTest, false},
		{"", false},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			if err := checkPattern(tc.pattern); (err == nil) != tc.ok {
				t.Errorf("checkPattern(%q) = %v, want ok=%v", tc.pattern, err, tc.ok)
			}
		})
	}
}

// The vector from the Standard Webhooks reference libraries' own tests.
func TestSignReferenceVector(t *testing.T) {
	key, err := secretKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`), key)
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestSignWithTwoKeys(t *testing.T) {
	a, _ := secretKey(newSecret())
	b, _ := secretKey(newSecret())
	ts := time.Unix(1700000000, 0)
	both := Sign("m", ts, []byte("{}"), a, b)
	if want := Sign("m", ts, []byte("{}"), a) + " " + Sign("m", ts, []byte("{}"), b); both != want {
		t.Errorf("two keys = %q, want %q", both, want)
	}
}

func TestSecretFormat(t *testing.T) {
	s := newSecret()
	key, err := secretKey(s)
	if err != nil || len(key) != secretBytes || !strings.HasPrefix(s, "whsec_") {
		t.Errorf("newSecret() = %q: key %d bytes, err %v", s, len(key), err)
	}
	for _, bad := range []string{"", "whsec_", "whsec_!!!", "sk_abc"} {
		if _, err := secretKey(bad); err == nil {
			t.Errorf("secretKey(%q) accepted", bad)
		}
	}
}

func TestAddressPolicy(t *testing.T) {
	open := AddressPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	tests := []struct {
		name   string
		policy AddressPolicy
		ip     string
		want   bool
	}{
		{"public v4", AddressPolicy{}, "93.184.216.34", true},
		{"public v6", AddressPolicy{}, "2606:2800:220:1::1", true},
		{"loopback", AddressPolicy{}, "127.0.0.1", false},
		{"loopback v6", AddressPolicy{}, "::1", false},
		{"v4-mapped loopback", AddressPolicy{}, "::ffff:127.0.0.1", false},
		{"private 10/8", AddressPolicy{}, "10.1.2.3", false},
		{"private 172.16/12", AddressPolicy{}, "172.31.255.1", false},
		{"private 192.168/16", AddressPolicy{}, "192.168.1.1", false},
		{"metadata", AddressPolicy{}, "169.254.169.254", false},
		{"metadata v6", AddressPolicy{}, "fd00:ec2::254", false},
		{"link-local v6", AddressPolicy{}, "fe80::1", false},
		{"unspecified", AddressPolicy{}, "0.0.0.0", false},
		{"carrier-grade NAT", AddressPolicy{}, "100.64.0.1", false},
		{"multicast", AddressPolicy{}, "224.0.0.1", false},
		{"loopback when allowed", open, "127.0.0.1", true},
		{"allowing loopback opens nothing else", open, "10.0.0.1", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.policy.Allowed(netip.MustParseAddr(tc.ip)); got != tc.want {
				t.Errorf("Allowed(%s) = %v, want %v", tc.ip, got, tc.want)
			}
		})
	}
}

func TestRetrySchedule(t *testing.T) {
	p := RetryPolicy{First: time.Second, Max: 8 * time.Second, Horizon: time.Hour}
	now := time.Unix(1700000000, 0)
	tests := []struct {
		name       string
		n          int
		expires    time.Time
		retryAfter time.Duration
		min, max   time.Duration
		ok         bool
	}{
		{"first retry", 1, now.Add(time.Hour), 0, 750 * time.Millisecond, 1250 * time.Millisecond, true},
		{"doubles", 3, now.Add(time.Hour), 0, 3 * time.Second, 5 * time.Second, true},
		{"capped", 20, now.Add(time.Hour), 0, 6 * time.Second, 10 * time.Second, true},
		{"retry-after honoured", 1, now.Add(time.Hour), 5 * time.Second, 5 * time.Second, 5 * time.Second, true},
		{"last try lands on the expiry", 20, now.Add(2 * time.Second), 0, 2 * time.Second, 2 * time.Second, true},
		{"expired", 2, now, 0, 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			at, ok := p.next(tc.n, now, tc.expires, tc.retryAfter)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if d := at.Sub(now); ok && (d < tc.min || d > tc.max) {
				t.Errorf("delay %s, want within [%s, %s]", d, tc.min, tc.max)
			}
		})
	}
}
