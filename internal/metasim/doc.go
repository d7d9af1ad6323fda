// Package metasim simulates the parts of Meta's WhatsApp Business Platform that
// wabsp talks to, so that tests, the benchmark and `wabsp demo` can exercise the
// real code paths without Meta:
//
//   - Graph is an http.Handler serving the Business Management API reads wabsp
//     polls (phone numbers, message templates, single nodes, subscribed apps)
//     with Graph's paging, field selection, error bodies and per-WABA
//     business-use-case rate limit (error 80008, X-Business-Use-Case-Usage).
//   - The *Body and *Change builders produce webhook payloads shaped exactly
//     like Meta's published examples (same keys, same JSON types), one change
//     per body or batched with Body.
//   - Emitter delivers bodies the way Meta does: signed with the app secret
//     (X-Hub-Signature-256), retried immediately and then with exponential
//     backoff until a 200 or a deadline.
//   - Scenarios (quality drops, template pauses, status streams with
//     duplicates and reordering, inbound messages, an endless demo mix) are
//     sequences of bodies with pacing hints, delivered concurrently by a Runner.
//
// The simulator keeps everything in memory and is safe for concurrent use. It
// deliberately reproduces Meta's awkward edges (string timestamps in messages,
// integer ones elsewhere, template ids as JSON numbers, legacy events) because
// those are what wabsp must survive in production.
package metasim
