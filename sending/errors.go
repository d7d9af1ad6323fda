package sending

import "time"

// Outcome is what to do after Meta refused a send.
type Outcome int

// The outcomes.
const (
	// Permanent: the same request will fail again; record it as failed.
	Permanent Outcome = iota
	// Transient: Meta's side failed; retry with backoff.
	Transient
	// Throttled: too fast for the number (130429) or the user (131056);
	// retry after a pause, which is pacing, not failure.
	Throttled
)

// transient are Meta's send errors that a later retry may get past: 1 and 2
// (API unknown/service), 131000 (something went wrong), 131016 (service
// unavailable), 133004 (server temporarily unavailable).
var transient = map[int]bool{1: true, 2: true, 131000: true, 131016: true, 133004: true}

// throttled are the rate errors: 130429 throughput, 131056 pair rate, 131048
// spam rate limit, 4 and 80007 the app's and WABA's call limits.
var throttled = map[int]bool{130429: true, 131056: true, 131048: true, 4: true, 80007: true}

// Classify says what to do with Meta's error code and HTTP status. Every
// other code is permanent: 131026 undeliverable, 131047 re-engagement
// needed, 131051 unsupported type, 132000 parameter mismatch, 132001 template
// missing, 100 invalid parameter, 131030 recipient not allowed, and any code
// Meta adds later, because retrying an unknown refusal costs money.
func Classify(code, status int, isTransient bool) Outcome {
	switch {
	case throttled[code]:
		return Throttled
	case transient[code], isTransient, status >= 500:
		return Transient
	}
	return Permanent
}

// PairPause is how long to wait before the next message to one user after
// Meta's pair rate limit (131056): about one message every six seconds.
const PairPause = 6 * time.Second

// Backoff is the wait before retry n (0-based) of a transient failure:
// doubling from one second, at most five minutes.
func Backoff(n int) time.Duration {
	d := time.Second << min(n, 9)
	return min(d, 5*time.Minute)
}
