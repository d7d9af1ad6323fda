package workers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/redistest"
	"github.com/wabsp/wabsp/webhooks"
)

func TestIntakePayloadRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 21, 10, 0, 0, 123456789, time.UTC)
	tests := []struct {
		name   string
		bodies []webhooks.Body
	}{
		{"one body", []webhooks.Body{{Raw: []byte(`{"object":"whatsapp_business_account"}`), ReceivedAt: at, AppID: "111"}}},
		{"empty app id and binary body", []webhooks.Body{{Raw: []byte{0, 0xff, '{'}, ReceivedAt: at}}},
		{"several", []webhooks.Body{
			{Raw: []byte("a"), ReceivedAt: at, AppID: "1"},
			{Raw: []byte("bb"), ReceivedAt: at.Add(time.Second), AppID: "22"},
			{Raw: []byte{}, ReceivedAt: at.Add(2 * time.Second), AppID: "333"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeBodies(encodeBodies(tc.bodies))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.bodies, got); diff != "" {
				t.Fatalf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeBodiesRejectsDamage(t *testing.T) {
	good := encodeBodies([]webhooks.Body{{Raw: []byte("hello"), AppID: "1", ReceivedAt: time.Unix(1, 0)}})
	tests := []struct {
		name string
		p    []byte
	}{
		{"empty", nil},
		{"unknown version", append([]byte{9}, good[1:]...)},
		{"truncated body", good[:len(good)-1]},
		{"truncated header", good[:5]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := decodeBodies(tc.p); err == nil {
				t.Fatal("damaged payload decoded")
			}
		})
	}
}

// collect must take everything already waiting and stop at the bounds,
// without waiting for more.
func TestCollectTakesWhatIsWaiting(t *testing.T) {
	tests := []struct {
		name      string
		waiting   int
		maxBodies int
		maxBytes  int
		want      int
	}{
		{"all waiting", 10, 256, 1 << 20, 11},
		{"body bound", 10, 4, 1 << 20, 4},
		{"byte bound", 10, 256, 3 * 100, 3},
		{"nothing waiting", 0, 256, 1 << 20, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := &IntakeQueue{reqs: make(chan *pendingBody, 64), maxBodies: tc.maxBodies, maxBytes: tc.maxBytes}
			body := webhooks.Body{Raw: make([]byte, 100)}
			for range tc.waiting {
				q.reqs <- &pendingBody{body: body}
			}
			got := q.collect([]*pendingBody{{body: body}})
			if len(got) != tc.want {
				t.Fatalf("collected %d, want %d", len(got), tc.want)
			}
		})
	}
}

func TestIntakeQueueMakesEveryBodyDurableOnce(t *testing.T) {
	_, rdb := redistest.New(t)
	q := NewIntakeQueue(asynq.NewClientFromRedisClient(rdb), nil, IntakeOptions{})
	const n = 300
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			errs <- q.Enqueue(ctx, webhooks.Body{Raw: fmt.Appendf(nil, `{"n":%d}`, i), AppID: "app"})
		}()
	}
	wg.Wait()
	q.Close()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("enqueue: %v", err)
		}
	}
	seen := pendingIntakeBodies(t, rdb)
	if len(seen) != n {
		t.Fatalf("%d distinct bodies in Redis, want %d", len(seen), n)
	}
	for body, count := range seen {
		if count != 1 {
			t.Fatalf("body %s stored %d times", body, count)
		}
	}
}

func pendingIntakeBodies(t *testing.T, rdb redis.UniversalClient) map[string]int {
	t.Helper()
	tasks, err := WaitingIntakeTasks(asynq.NewInspectorFromRedisClient(rdb))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, ti := range tasks {
		bodies, err := decodeBodies(ti.Payload)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bodies {
			seen[string(b.Raw)]++
		}
	}
	return seen
}

// TestIntakeQueueAnswersUnavailableInTime checks that Enqueue returns
// Unavailable by itself, without a deadline from the caller, whether Redis
// refuses connections or accepts them and never answers.
func TestIntakeQueueAnswersUnavailableInTime(t *testing.T) {
	hung, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hung.Close()
	go func() {
		for {
			c, err := hung.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold the connection open, answer nothing
		}
	}()
	const maxWait = 600 * time.Millisecond
	tests := []struct {
		name string
		addr string
	}{
		{"connection refused", "127.0.0.1:1"},
		{"server never answers", hung.Addr().String()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rdb := redis.NewClient(&redis.Options{Addr: tc.addr, DialTimeout: 100 * time.Millisecond, MaxRetries: -1,
				ContextTimeoutEnabled: true})
			defer rdb.Close()
			q := NewIntakeQueue(asynq.NewClientFromRedisClient(rdb), nil, IntakeOptions{MaxWait: maxWait})
			defer q.Close()
			start := time.Now()
			err := q.Enqueue(context.Background(), webhooks.Body{Raw: []byte(`{}`)})
			if !apperr.Is(err, apperr.Unavailable) {
				t.Fatalf("got %v, want an Unavailable error", err)
			}
			// Meta must hear 503 within a second; the bound is what the
			// queue promises, not a measure of its speed.
			if took := time.Since(start); took > time.Second {
				t.Fatalf("answered after %s, want within a second", took)
			}
		})
	}
}

func TestTakeAnswersBodiesThatWaitedTooLong(t *testing.T) {
	now := time.Now()
	q := &IntakeQueue{queueWait: 400 * time.Millisecond, expired: prometheus.NewCounter(prometheus.CounterOpts{Name: "x"})}
	fresh := &pendingBody{queued: now.Add(-100 * time.Millisecond), done: make(chan error, 1)}
	stale := &pendingBody{queued: now.Add(-time.Second), done: make(chan error, 1)}
	kept := q.take([]*pendingBody{stale, fresh})
	if len(kept) != 1 || kept[0] != fresh {
		t.Fatalf("kept %d bodies, want only the fresh one", len(kept))
	}
	select {
	case err := <-stale.done:
		if !errors.Is(err, errWaitedTooLong) {
			t.Fatalf("stale body answered %v", err)
		}
	default:
		t.Fatal("stale body was not answered")
	}
	if len(fresh.done) != 0 {
		t.Fatal("fresh body was answered before its write")
	}
}

func TestIntakeQueueRefusesAfterClose(t *testing.T) {
	_, rdb := redistest.New(t)
	q := NewIntakeQueue(asynq.NewClientFromRedisClient(rdb), nil, IntakeOptions{})
	q.Close()
	if err := q.Enqueue(context.Background(), webhooks.Body{Raw: []byte(`{}`)}); !apperr.Is(err, apperr.Unavailable) {
		t.Fatalf("got %v, want Unavailable", err)
	}
}

// The caller's buffer is the queue's only while Enqueue runs: a caller that
// reuses one buffer for every body must still find each body intact in
// Redis.
func TestIntakeQueueKeepsNoReferenceToTheCallersBuffer(t *testing.T) {
	_, rdb := redistest.New(t)
	q := NewIntakeQueue(asynq.NewClientFromRedisClient(rdb), nil, IntakeOptions{})
	const callers, each = 16, 20
	var wg sync.WaitGroup
	errs := make(chan error, callers*each)
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 0, 64)
			for i := range each {
				buf = fmt.Appendf(buf[:0], `{"caller":%d,"n":%d}`, c, i)
				errs <- q.Enqueue(context.Background(), webhooks.Body{Raw: buf, AppID: "app"})
				for j := range buf {
					buf[j] = 'x' // what a reused request buffer would do
				}
			}
		}()
	}
	wg.Wait()
	q.Close()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("enqueue: %v", err)
		}
	}
	seen := pendingIntakeBodies(t, rdb)
	for c := range callers {
		for i := range each {
			if body := fmt.Sprintf(`{"caller":%d,"n":%d}`, c, i); seen[body] != 1 {
				t.Fatalf("body %s stored %d times, want once", body, seen[body])
			}
		}
	}
}

func TestTakeSkipsBodiesWhoseCallersGaveUp(t *testing.T) {
	q := &IntakeQueue{queueWait: time.Minute}
	waiting := &pendingBody{queued: time.Now(), done: make(chan error, 1)}
	gone := &pendingBody{queued: time.Now(), done: make(chan error, 1)}
	gone.state.Store(bodyAbandoned)
	kept := q.take([]*pendingBody{gone, waiting})
	if len(kept) != 1 || kept[0] != waiting {
		t.Fatalf("kept %d bodies, want only the waiting one", len(kept))
	}
	if waiting.state.Load() != bodyTaken {
		t.Fatalf("kept body in state %d, want taken", waiting.state.Load())
	}
	if len(gone.done)+len(waiting.done) != 0 {
		t.Fatal("a body was answered before any write")
	}
}

// A caller whose context ends leaves at once while its body waits, but not
// while a write is copying it: its buffer must outlive the copy.
func TestEnqueueGivesUpOnlyBeforeAWriteTakesTheBody(t *testing.T) {
	tests := []struct {
		name    string
		taken   bool
		wantErr bool
	}{
		{"still waiting", false, true},
		{"taken by a write", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// No flusher runs: the test plays its part.
			q := &IntakeQueue{reqs: make(chan *pendingBody, 1)}
			q.pending.New = func() any { return &pendingBody{done: make(chan error, 1)} }
			ctx, cancel := context.WithCancel(context.Background())
			res := make(chan error, 1)
			go func() { res <- q.Enqueue(ctx, webhooks.Body{Raw: []byte(`{}`)}) }()
			p := <-q.reqs
			if tc.taken && !p.state.CompareAndSwap(bodyQueued, bodyTaken) {
				t.Fatal("could not take a queued body")
			}
			cancel()
			if tc.taken {
				select {
				case err := <-res:
					t.Fatalf("Enqueue returned %v while its body was being written", err)
				case <-time.After(50 * time.Millisecond):
				}
				p.done <- nil
			}
			err := <-res
			if got := err != nil; got != tc.wantErr {
				t.Fatalf("got %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr && !apperr.Is(err, apperr.Unavailable) {
				t.Fatalf("got %v, want Unavailable", err)
			}
		})
	}
}
