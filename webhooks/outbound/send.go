package outbound

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Message is the JSON body of every delivery, the envelope the Standard
// Webhooks specification suggests (type, timestamp, data) with wabsp's ids.
type Message struct {
	// ID equals the webhook-id header.
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	TenantID  uuid.UUID `json:"tenant_id"`
	Subject   string    `json:"subject,omitempty"`
	// Data is the event's data; its schema depends on Type (see Catalogue).
	Data json.RawMessage `json:"data"`
}

// maxLoggedBody is how much of a response body the attempt log keeps.
const maxLoggedBody = 1024

// drainLimit is how much of a response is read so that its connection can
// be reused; a longer body closes the connection instead.
const drainLimit = 64 << 10

const userAgent = "wabsp-webhooks/1"

// outcome is the result of one attempt.
type outcome struct {
	sent       bool // false when the attempt was not made (held back)
	at         time.Time
	latency    time.Duration
	status     int
	err        string
	body       string
	retryAfter time.Duration
}

func (o outcome) ok() bool   { return o.sent && o.status >= 200 && o.status < 300 }
func (o outcome) gone() bool { return o.sent && o.status == http.StatusGone }

// post makes one signed attempt. Every failure is an outcome, not an error:
// it is logged and retried like a bad status.
func (s *Service) post(ctx context.Context, ep endpoint, msgID string, body []byte) outcome {
	ctx, cancel := context.WithTimeout(ctx, s.opt.AttemptTimeout)
	defer cancel()
	start := time.Now()
	o := outcome{sent: true, at: start.UTC()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.url, bytes.NewReader(body))
	if err != nil {
		o.err = "invalid request: " + err.Error()
		return o
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(HeaderID, msgID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(start.Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(msgID, start, body, ep.keys...))
	resp, err := s.client.Do(req)
	if err != nil {
		o.latency = time.Since(start)
		o.err = describeError(err)
		return o
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, maxLoggedBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	resp.Body.Close()
	o.latency = time.Since(start)
	o.status = resp.StatusCode
	o.body = strings.ToValidUTF8(strings.ReplaceAll(string(head), "\x00", ""), string(utf8.RuneError))
	o.retryAfter = retryAfter(resp.Header.Get("Retry-After"), start)
	return o
}

// describeError turns a transport error into a log line for the tenant:
// what went wrong, without our internals.
func describeError(err error) string {
	var blocked *BlockedAddressError
	switch {
	case errors.As(err, &blocked):
		return blocked.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	}
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return msg
}

// retryAfter reads a Retry-After header (seconds or an HTTP date).
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
