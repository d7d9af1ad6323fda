package redisconf

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

const secret = "s3cr%2Ft" // decodes to s3cr/t

func TestResolve(t *testing.T) {
	tests := []struct {
		name string
		vars Vars
		want Settings
	}{
		{"single from address", Vars{Addr: "127.0.0.1:6379", DB: 3, Password: "pw"},
			Settings{Mode: Single, Addrs: []string{"127.0.0.1:6379"}, DB: 3, Password: "pw"}},
		{"single URL with ACL user and db", Vars{URL: "redis://app:" + secret + "@r.internal:6380/2", Addr: "ignored:1"},
			Settings{Mode: Single, Addrs: []string{"r.internal:6380"}, DB: 2, Username: "app", Password: "s3cr/t"}},
		{"TLS URL with CA file and server name", Vars{URL: "rediss://r.internal:6380?tls_server_name=redis.example", TLSCAFile: "/ca.pem"},
			Settings{Mode: Single, Addrs: []string{"r.internal:6380"}, TLS: true, TLSServerName: "redis.example", TLSCAFile: "/ca.pem"}},
		{"password from variable fills the URL", Vars{URL: "redis://app@r:6379", Password: "pw"},
			Settings{Mode: Single, Addrs: []string{"r:6379"}, Username: "app", Password: "pw"}},
		{"URL password wins over variable", Vars{URL: "redis://:url@r:6379", Password: "var"},
			Settings{Mode: Single, Addrs: []string{"r:6379"}, Password: "url"}},
		{"sentinel URL", Vars{URL: "redis-sentinel://app:pw@s1:26379,s2:26379,s3:26379/mymaster?db=1&sentinel_password=sp"},
			Settings{Mode: Sentinel, Addrs: []string{"s1:26379", "s2:26379", "s3:26379"}, MasterName: "mymaster", DB: 1,
				Username: "app", Password: "pw", SentinelPassword: "sp"}},
		{"sentinel from variables", Vars{SentinelAddrs: "s1:26379, s2:26379", MasterName: "m", Password: "pw", TLS: true},
			Settings{Mode: Sentinel, Addrs: []string{"s1:26379", "s2:26379"}, MasterName: "m", Password: "pw", TLS: true}},
		{"cluster URL over TLS", Vars{URL: "rediss-cluster://app:pw@n1:7000,n2:7001"},
			Settings{Mode: Cluster, Addrs: []string{"n1:7000", "n2:7001"}, Username: "app", Password: "pw", TLS: true}},
		{"cluster from variables", Vars{ClusterAddrs: "n1:7000,n2:7001,n3:7002", Username: "u", Password: "pw"},
			Settings{Mode: Cluster, Addrs: []string{"n1:7000", "n2:7001", "n3:7002"}, Username: "u", Password: "pw"}},
		{"sentinel URL takes the master name from the variable", Vars{URL: "redis-sentinel://s1:26379", MasterName: "m"},
			Settings{Mode: Sentinel, Addrs: []string{"s1:26379"}, MasterName: "m"}},
		{"master name is ignored outside Sentinel", Vars{Addr: "r:6379", MasterName: "m"},
			Settings{Mode: Single, Addrs: []string{"r:6379"}}},
		{"IPv6 node", Vars{URL: "redis://[::1]:6379/0"}, Settings{Mode: Single, Addrs: []string{"[::1]:6379"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Resolve(tc.vars)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Fatalf("settings (-want +got):\n%s", d)
			}
		})
	}
}

func TestResolveErrorsKeepThePasswordOut(t *testing.T) {
	const pw = "Hunter2Secret"
	tests := []struct {
		name string
		vars Vars
		want string
	}{
		{"unknown scheme", Vars{URL: "http://u:" + pw + "@r:6379"}, "scheme must be"},
		{"bad port", Vars{URL: "redis://u:" + pw + "@r:notaport"}, "no valid port"},
		{"password without @", Vars{URL: "redis://u:" + pw}, "no valid port"},
		{"bad escape in password", Vars{URL: "redis://u:" + pw + "%zz@r:6379"}, "not a valid URL"},
		{"db out of range", Vars{URL: "redis://u:" + pw + "@r:6379/16"}, "database must be"},
		{"misspelt parameter", Vars{URL: "redis-sentinel://s:1/m?sentinel_pasword=" + pw}, `unknown URL parameter "sentinel_pasword"`},
		{"sentinel without master", Vars{URL: "redis-sentinel://u:" + pw + "@s1:26379"}, "master name"},
		{"cluster with a db", Vars{URL: "redis-cluster://u:" + pw + "@n1:7000/3"}, "no database path"},
		{"cluster db variable", Vars{ClusterAddrs: "n1:7000", DB: 2, Password: pw}, "only database 0"},
		{"no host", Vars{URL: "redis://u:" + pw + "@/0"}, "names no host"},
		{"fragment", Vars{URL: "redis://u:" + pw + "@r:6379#x"}, "no #fragment"},
		{"URL and cluster variables", Vars{URL: "redis://r:1", ClusterAddrs: "n:1", Password: pw}, "exclude each other"},
		{"sentinel and cluster variables", Vars{SentinelAddrs: "s:1", ClusterAddrs: "n:1", MasterName: "m"}, "exclude each other"},
		{"CA file without TLS", Vars{Addr: "r:6379", TLSCAFile: "/ca.pem", Password: pw}, "needs TLS"},
		{"empty address", Vars{Password: pw}, "exactly one address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Resolve(tc.vars)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %q, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), pw) {
				t.Fatalf("error %q shows the password", err)
			}
		})
	}
}

func TestStringHidesSecrets(t *testing.T) {
	s, err := Parse("rediss-sentinel://app:topsecret@s1:26379/m?sentinel_password=alsosecret")
	if err != nil {
		t.Fatal(err)
	}
	got := s.String()
	if strings.Contains(got, "secret") || got != "sentinel master m s1:26379 tls" {
		t.Fatalf("String() = %q", got)
	}
}

func TestClientAndAsynqOptMatchTheMode(t *testing.T) {
	tune := Tuning{PoolSize: 4}
	tests := []struct {
		url       string
		wantRedis any
		wantAsynq any
	}{
		{"redis://u:p@127.0.0.1:6379/2", &redis.Client{}, asynq.RedisClientOpt{}},
		{"redis-sentinel://127.0.0.1:26379/m", &redis.Client{}, asynq.RedisFailoverClientOpt{}},
		{"redis-cluster://127.0.0.1:7000", &redis.ClusterClient{}, asynq.RedisClusterClientOpt{}},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			s, err := Parse(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			c, err := s.Client(tune)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got, want := typeName(c), typeName(tc.wantRedis); got != want {
				t.Fatalf("client %s, want %s", got, want)
			}
			o, err := s.AsynqOpt(tune)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := typeName(o), typeName(tc.wantAsynq); got != want {
				t.Fatalf("asynq option %s, want %s", got, want)
			}
		})
	}
}

func TestTLSConfig(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		s       Settings
		wantErr string
	}{
		{"system roots", Settings{Mode: Single, Addrs: []string{"r:1"}, TLS: true, TLSServerName: "r.example"}, ""},
		{"missing CA file", Settings{Mode: Single, Addrs: []string{"r:1"}, TLS: true, TLSCAFile: filepath.Join(dir, "none.pem")}, "no such file"},
		{"CA file without a certificate", Settings{Mode: Cluster, Addrs: []string{"r:1"}, TLS: true, TLSCAFile: notPEM}, "no PEM certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.s.Client(Tuning{})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				c.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }
