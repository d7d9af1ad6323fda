package metasim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// UserAgent is the User-Agent Meta's webhook deliveries carry.
const UserAgent = "facebookexternalua"

// ErrGaveUp reports a body that was never acknowledged with a 200 before the
// Emitter's deadline.
var ErrGaveUp = errors.New("metasim: gave up delivering webhook")

// Emitter delivers webhook bodies to one callback URL the way Meta does:
// signed with the app secret, retried immediately after a failure and then
// with exponential backoff, until a 200 or the give-up deadline. Meta retries
// for 7 days; tests and the demo shrink the schedule with options. An Emitter
// is safe for concurrent use.
type Emitter struct {
	url         string
	secret      []byte
	client      *http.Client
	userAgent   string
	backoffBase time.Duration
	backoffMax  time.Duration
	giveUpAfter time.Duration

	sent, attempts, acked, retried, gaveUp, transportErrs atomic.Int64

	mu     sync.Mutex
	non200 map[int]int64
}

// EmitterOption configures an Emitter.
type EmitterOption func(*Emitter)

// WithBackoff sets the first backoff delay (after the immediate retry) and
// the ceiling it doubles up to.
func WithBackoff(base, ceiling time.Duration) EmitterOption {
	return func(e *Emitter) {
		if base > 0 {
			e.backoffBase = base
		}
		if ceiling >= e.backoffBase {
			e.backoffMax = ceiling
		}
	}
}

// WithGiveUpAfter sets how long after the first attempt a body is abandoned.
func WithGiveUpAfter(d time.Duration) EmitterOption {
	return func(e *Emitter) {
		if d > 0 {
			e.giveUpAfter = d
		}
	}
}

// WithUserAgent overrides the User-Agent header.
func WithUserAgent(ua string) EmitterOption {
	return func(e *Emitter) { e.userAgent = ua }
}

// NewEmitter returns an Emitter posting to targetURL, signing with appSecret.
// A nil client gets one with a 20-second timeout, about what Meta waits.
func NewEmitter(targetURL string, appSecret []byte, client *http.Client, opts ...EmitterOption) *Emitter {
	if client == nil {
		client = &http.Client{Timeout: 20 * time.Second}
	}
	e := &Emitter{
		url:         targetURL,
		secret:      append([]byte(nil), appSecret...),
		client:      client,
		userAgent:   UserAgent,
		backoffBase: time.Minute,
		backoffMax:  6 * time.Hour,
		giveUpAfter: 7 * 24 * time.Hour,
		non200:      map[int]int64{},
	}
	for _, opt := range opts {
		opt(e)
	}
	return e
}

// Signature returns the X-Hub-Signature-256 value for body: "sha256=" and the
// lowercase hex HMAC-SHA256 of the exact bytes, keyed with the app secret.
func Signature(appSecret, body []byte) string {
	m := hmac.New(sha256.New, appSecret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// legacySignature is the SHA-1 X-Hub-Signature Meta still sends alongside.
func legacySignature(appSecret, body []byte) string {
	m := hmac.New(sha1.New, appSecret)
	m.Write(body)
	return "sha1=" + hex.EncodeToString(m.Sum(nil))
}

// Send delivers body and returns once a 200 arrived (nil), the deadline
// passed (an error wrapping ErrGaveUp) or ctx ended (ctx's error). Like Meta,
// it treats every answer but 200, other 2xx included, as a failure.
func (e *Emitter) Send(ctx context.Context, body []byte) error {
	e.sent.Add(1)
	sig, legacy := Signature(e.secret, body), legacySignature(e.secret, body)
	start := time.Now()
	var wait time.Duration
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			e.retried.Add(1)
		}
		err := e.post(ctx, body, sig, legacy)
		if err == nil {
			e.acked.Add(1)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait = e.nextWait(attempt, wait)
		if time.Since(start)+wait > e.giveUpAfter {
			e.gaveUp.Add(1)
			return fmt.Errorf("%w after %d attempts: %w", ErrGaveUp, attempt, err)
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// nextWait is Meta's schedule: the first retry is immediate, later ones back
// off exponentially up to the ceiling.
func (e *Emitter) nextWait(attempt int, prev time.Duration) time.Duration {
	switch attempt {
	case 1:
		return 0
	case 2:
		return e.backoffBase
	default:
		return min(prev*2, e.backoffMax)
	}
}

func (e *Emitter) post(ctx context.Context, body []byte, sig, legacy string) error {
	e.attempts.Add(1)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("metasim: build webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", e.userAgent)
	req.Header.Set("X-Hub-Signature-256", sig)
	req.Header.Set("X-Hub-Signature", legacy)
	resp, err := e.client.Do(req)
	if err != nil {
		e.transportErrs.Add(1)
		return fmt.Errorf("metasim: post webhook: %w", err)
	}
	// Drain so the connection is reused; Meta ignores the response body.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.mu.Lock()
		e.non200[resp.StatusCode]++
		e.mu.Unlock()
		return fmt.Errorf("metasim: webhook answered %d", resp.StatusCode)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// EmitterStats counts what an Emitter did.
type EmitterStats struct {
	Sent            int64 // bodies handed to Send
	Attempts        int64 // POSTs made, retries included
	Acknowledged    int64 // bodies answered with 200
	Retried         int64 // attempts after a body's first
	GaveUp          int64 // bodies abandoned at the deadline
	TransportErrors int64 // attempts without an HTTP response
	// Non200 counts attempts answered with another status, by status.
	Non200 map[int]int64
}

// Stats returns a snapshot of the counters.
func (e *Emitter) Stats() EmitterStats {
	e.mu.Lock()
	non200 := maps.Clone(e.non200)
	e.mu.Unlock()
	return EmitterStats{
		Sent: e.sent.Load(), Attempts: e.attempts.Load(), Acknowledged: e.acked.Load(),
		Retried: e.retried.Load(), GaveUp: e.gaveUp.Load(), TransportErrors: e.transportErrs.Load(),
		Non200: non200,
	}
}
