package metasim

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// verifies reports whether header carries the HMAC-SHA256 of body keyed with
// secret, checked the way a receiver must: over the raw bytes, in constant
// time.
func verifies(secret, body []byte, header string) bool {
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

// fastRetries keeps retry schedules in milliseconds.
var fastRetries = []EmitterOption{WithBackoff(time.Millisecond, 2*time.Millisecond), WithGiveUpAfter(50 * time.Millisecond)}

func TestEmitterSignsLikeMeta(t *testing.T) {
	body := StatusesBody("1", "2", "15550001111", []Status{{WAMID: "w", Status: "sent", Timestamp: time.Unix(1750000000, 0), RecipientID: "3"}})
	tests := []struct {
		name           string
		receiverSecret string
		wantErr        bool
	}{
		{"receiver holds the app secret", "app-secret", false},
		{"receiver holds another secret", "other-secret", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				mu      sync.Mutex
				headers http.Header
				got     []byte
			)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				raw, _ := io.ReadAll(r.Body)
				mu.Lock()
				headers, got = r.Header.Clone(), raw
				mu.Unlock()
				if !verifies([]byte(tt.receiverSecret), raw, r.Header.Get("X-Hub-Signature-256")) {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
			}))
			defer srv.Close()
			e := NewEmitter(srv.URL, []byte("app-secret"), srv.Client(), fastRetries...)
			err := e.Send(context.Background(), body)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Send error = %v, want error %v", err, tt.wantErr)
			}
			mu.Lock()
			defer mu.Unlock()
			if string(got) != string(body) {
				t.Errorf("receiver got %s, want the exact body", got)
			}
			if ct := headers.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if ua := headers.Get("User-Agent"); !strings.Contains(ua, "facebookexternalua") {
				t.Errorf("User-Agent = %q", ua)
			}
		})
	}
}

func TestEmitterRetriesUntilAcknowledged(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	e := NewEmitter(srv.URL, []byte("s"), srv.Client(), WithBackoff(time.Millisecond, 4*time.Millisecond), WithGiveUpAfter(10*time.Second))
	if err := e.Send(context.Background(), []byte(`{}`)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	want := EmitterStats{Sent: 1, Attempts: 3, Acknowledged: 1, Retried: 2, Non200: map[int]int64{503: 2}}
	if diff := cmp.Diff(want, e.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestEmitterGivesUpAfterDeadline(t *testing.T) {
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer failing.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	tests := []struct {
		name          string
		url           string
		wantNon200    bool
		wantTransport bool
	}{
		{"receiver keeps failing", failing.URL, true, false},
		{"receiver unreachable", closedURL, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEmitter(tt.url, []byte("s"), nil, fastRetries...)
			err := e.Send(context.Background(), []byte(`{}`))
			if !errors.Is(err, ErrGaveUp) {
				t.Fatalf("Send error = %v, want ErrGaveUp", err)
			}
			st := e.Stats()
			if st.GaveUp != 1 || st.Acknowledged != 0 || st.Attempts < 2 || st.Retried != st.Attempts-1 {
				t.Errorf("stats %+v: want one give-up after at least one retry", st)
			}
			if got := st.Non200[500] == st.Attempts; got != tt.wantNon200 {
				t.Errorf("every attempt a 500 = %v, want %v (%+v)", got, tt.wantNon200, st)
			}
			if got := st.TransportErrors == st.Attempts; got != tt.wantTransport {
				t.Errorf("every attempt a transport error = %v, want %v (%+v)", got, tt.wantTransport, st)
			}
		})
	}
}

func TestEmitterStopsWithContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e := NewEmitter(srv.URL, []byte("s"), srv.Client())
	if err := e.Send(ctx, []byte(`{}`)); !errors.Is(err, context.Canceled) {
		t.Errorf("Send error = %v, want context.Canceled", err)
	}
}

func TestEmitterVerify(t *testing.T) {
	handshake := func(echo func(challenge string) string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if q.Get("hub.mode") != "subscribe" || q.Get("hub.verify_token") != "verify-me" {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			io.WriteString(w, echo(q.Get("hub.challenge")))
		}
	}
	tests := []struct {
		name    string
		token   string
		echo    func(string) string
		wantErr bool
	}{
		{"echoes the challenge", "verify-me", func(c string) string { return c }, false},
		{"wrong verify token", "guess", func(c string) string { return c }, true},
		{"echoes something else", "verify-me", func(c string) string { return c + "0" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(handshake(tt.echo))
			defer srv.Close()
			err := NewEmitter(srv.URL+"/webhooks/meta", []byte("s"), srv.Client()).Verify(context.Background(), tt.token)
			if (err != nil) != tt.wantErr {
				t.Errorf("Verify error = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}
