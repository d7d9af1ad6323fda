// Package graph is wabsp's client for Meta's Graph API: the Business
// Management reads that quality polling needs (a WABA's phone numbers and
// message templates) and subscribing wabsp's app to a WABA's webhooks.
//
// Meta counts these calls against a per-WABA budget (200 an hour by
// default) and reports the share used in X-Business-Use-Case-Usage. The
// client remembers that share per WABA and slows down above 75%: it spaces
// calls further apart the closer the WABA gets to its budget and refuses a
// call that comes too soon with a *RateLimitError naming the wait, instead
// of spending the budget. A throttling error from Meta (80008, 4, 17, 613,
// ...) becomes the same error with Meta's advised wait, and the WABA is left
// alone until then. Any other Graph error is a typed *Error carrying Meta's
// code, subcode and trace id; nothing is retried inside the client.
package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Client calls the Graph API. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	version string
	http    *http.Client
	log     *slog.Logger
	now     func() time.Time
	// slowAt is the usage percentage above which calls are spaced out;
	// window is the period Meta's budget covers.
	slowAt int
	window time.Duration

	mu    sync.Mutex
	usage map[string]*pace
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient replaces the HTTP client (default: 30 s timeout).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithLogger sets where Graph errors are logged.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithClock replaces time.Now, so tests can move through the budget window.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// WithSlowDown sets the usage percentage above which calls are spaced out
// (default 75) and the budget window (default one hour).
func WithSlowDown(percent int, window time.Duration) Option {
	return func(c *Client) {
		if percent > 0 && percent < 100 {
			c.slowAt = percent
		}
		if window > 0 {
			c.window = window
		}
	}
}

// New returns a client for baseURL (https://graph.facebook.com) and API
// version (v25.0).
func New(baseURL, version string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("graph: base URL %q is not absolute", baseURL)
	}
	if version == "" || strings.Contains(version, "/") {
		return nil, fmt.Errorf("graph: bad API version %q", version)
	}
	c := &Client{
		base: u, version: version, http: &http.Client{Timeout: 30 * time.Second},
		log: slog.New(slog.DiscardHandler), now: time.Now, slowAt: 75, window: time.Hour,
		usage: map[string]*pace{},
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// request is one call, charged to the budget of key (the WABA id).
type request struct {
	method string
	key    string
	path   []string
	query  url.Values
	token  string
	// body is sent as JSON when not nil.
	body []byte
}

// do makes one call and decodes a 200 body into out.
func (c *Client) do(ctx context.Context, r request, out any) error {
	if err := c.admit(r.key); err != nil {
		return err
	}
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + "/" + c.version + "/" + strings.Join(escapeAll(r.path), "/")
	u.RawQuery = r.query.Encode()
	var payload io.Reader
	if r.body != nil {
		payload = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), payload)
	if err != nil {
		return fmt.Errorf("graph: %w", err)
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("graph: %s %s: %w", r.method, strings.Join(r.path, "/"), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("graph: read %s: %w", strings.Join(r.path, "/"), err)
	}
	regain := c.record(r.key, resp.Header.Get(UsageHeader))
	if resp.StatusCode != http.StatusOK {
		return c.fail(r, resp.StatusCode, body, regain)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("graph: decode %s: %w", strings.Join(r.path, "/"), err)
	}
	return nil
}

func escapeAll(segs []string) []string {
	out := make([]string, len(segs))
	for i, s := range segs {
		out[i] = url.PathEscape(s)
	}
	return out
}

// fail turns an error response into *Error, or *RateLimitError for the
// throttling codes, and logs it with Meta's code and trace id.
func (c *Client) fail(r request, status int, body []byte, regain time.Duration) error {
	var env struct {
		Error *Error `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Error == nil {
		env.Error = &Error{Message: strings.TrimSpace(string(body))}
	}
	e := env.Error
	e.Status = status
	c.log.Warn("graph error", "graph_method", r.method, "graph_path", strings.Join(r.path, "/"), "graph_status", status,
		"graph_code", e.Code, "graph_subcode", e.Subcode, "fbtrace_id", e.FBTraceID, "graph_message", e.Message)
	if !throttling[e.Code] {
		return e
	}
	wait := regain
	if wait <= 0 {
		wait = defaultThrottleWait
	}
	c.block(r.key, wait)
	return &RateLimitError{Key: r.key, RetryAfter: wait, Err: e}
}

// Error is a Graph API error body. Build logic on Code and Subcode, never on
// the message, which Meta rewords.
type Error struct {
	// Status is the HTTP status of the response.
	Status      int    `json:"-"`
	Message     string `json:"message"`
	Type        string `json:"type"`
	Code        int    `json:"code"`
	Subcode     int    `json:"error_subcode"`
	UserTitle   string `json:"error_user_title"`
	UserMessage string `json:"error_user_msg"`
	FBTraceID   string `json:"fbtrace_id"`
	IsTransient bool   `json:"is_transient"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("graph: error %d (subcode %d, HTTP %d, trace %s): %s", e.Code, e.Subcode, e.Status, e.FBTraceID, e.Message)
}

// Temporary reports whether retrying later may succeed: Meta says so, or
// the failure was on Meta's side.
func (e *Error) Temporary() bool { return e.IsTransient || e.Status >= 500 }

// throttling are the Graph codes that mean "too many calls": 4 app, 17 user,
// 32 page, 613 custom, 80007 WABA, 80008 business use case.
var throttling = map[int]bool{4: true, 17: true, 32: true, 613: true, 80007: true, 80008: true}

// defaultThrottleWait is used when Meta throttles without saying for how
// long.
const defaultThrottleWait = 5 * time.Minute

// RateLimitError says a call was not made, or was refused by Meta, because
// the budget of Key is (nearly) spent. Retry after RetryAfter.
type RateLimitError struct {
	Key        string
	RetryAfter time.Duration
	// Usage is the last usage percentage seen, for calls refused by the
	// client itself.
	Usage int
	// Err is Meta's error when Meta refused the call; nil when the client
	// held the call back.
	Err *Error
}

func (e *RateLimitError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("graph: %s throttled by Meta (code %d, trace %s); retry in %s", e.Key, e.Err.Code, e.Err.FBTraceID, e.RetryAfter)
	}
	return fmt.Sprintf("graph: %s at %d%% of its call budget; next call in %s", e.Key, e.Usage, e.RetryAfter)
}

func (e *RateLimitError) Unwrap() error {
	if e.Err == nil {
		return nil
	}
	return e.Err
}

// RetryAfter reports the wait of a *RateLimitError in err's chain.
func RetryAfter(err error) (time.Duration, bool) {
	var rl *RateLimitError
	if errors.As(err, &rl) {
		return rl.RetryAfter, true
	}
	return 0, false
}
