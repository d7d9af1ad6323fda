package redistest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// RequireEnv, when set to 1, makes the cluster, Sentinel and TLS tests fail
// instead of skipping where redis-server or redis-cli is missing (CI sets it).
const RequireEnv = "WABSP_REQUIRE_REDIS_TOPOLOGY_TESTS"

// needBinaries skips tb unless redis-server and redis-cli are on PATH.
func needBinaries(tb testing.TB) {
	tb.Helper()
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv(RequireEnv) == "1" {
				tb.Fatalf("redistest: %s is not on PATH and %s=1", bin, RequireEnv)
			}
			tb.Skipf("redistest: %s is not on PATH", bin)
		}
	}
}

// Server is one redis-server process a test started on a loopback port.
type Server struct {
	Addr string
	cmd  *exec.Cmd
}

// Kill ends the server with SIGKILL, as a crash would.
func (s *Server) Kill() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
		_, _ = s.cmd.Process.Wait()
	}
}

// startServer runs redis-server with the given configuration lines, none
// of them persistence, and waits until it answers PING.
func startServer(tb testing.TB, dir string, port int, conf ...string) *Server {
	tb.Helper()
	return access{}.start(tb, dir, port, false, conf...)
}

// spawn starts redis-server on a loopback address with port in its name
// and the given lines after the common ones (which name no port), and
// stops it at the end of tb. It does not wait for the server to answer.
func spawn(tb testing.TB, dir string, port int, conf []string) *Server {
	tb.Helper()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	lines := append([]string{
		"bind 127.0.0.1", "dir " + dir,
		`save ""`, "appendonly no", "protected-mode no", "daemonize no",
	}, conf...)
	file := filepath.Join(dir, fmt.Sprintf("redis-%d.conf", port))
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	if err := os.WriteFile(file, b.Bytes(), 0o600); err != nil {
		tb.Fatal(err)
	}
	log, err := os.Create(filepath.Join(dir, fmt.Sprintf("redis-%d.log", port)))
	if err != nil {
		tb.Fatal(err)
	}
	args := []string{file}
	if isSentinel(conf) {
		args = append(args, "--sentinel")
	}
	cmd := exec.Command("redis-server", args...)
	cmd.Stdout, cmd.Stderr = log, log
	dieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		tb.Fatalf("redistest: start redis-server: %v", err)
	}
	s := &Server{Addr: addr, cmd: cmd}
	tb.Cleanup(func() { s.Kill(); log.Close() })
	return s
}

func isSentinel(conf []string) bool {
	for _, l := range conf {
		if len(l) > 9 && l[:9] == "sentinel " {
			return true
		}
	}
	return false
}

// freePorts returns n loopback ports that are free now, each with its
// cluster bus port (port+10000) free too.
func freePorts(tb testing.TB, n int) []int {
	tb.Helper()
	var ports []int
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if p+10000 > 65535 {
			continue
		}
		bus, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p+10000)))
		if err != nil {
			continue
		}
		bus.Close()
		ports = append(ports, p)
	}
	return ports
}

// waitFor retries check for up to 30 seconds.
func waitFor(tb testing.TB, what string, check func(context.Context) error) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := check(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redistest: %s not ready: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
