// Package outbound delivers wabsp's domain events to the endpoints tenants
// and partners subscribe, the outbound half of the webhooks domain.
//
// Events come from the transactional outbox (internal/events), so an event
// exists exactly when the change that caused it committed. Pump fans new
// events out into one delivery row per matching subscription; Deliver sends
// one endpoint's due deliveries, signed per the Standard Webhooks
// specification (webhook-id, webhook-timestamp, webhook-signature), records
// every attempt and schedules retries with exponential backoff and jitter
// until the delivery expires (three days by default) and becomes a dead
// letter. An endpoint answering 410 Gone is disabled at once; one failing
// for a whole failure window (24 hours by default) is disabled and its
// tenant told through a webhook.endpoint.disabled event.
//
// The package holds the rules and the storage; it neither queues nor
// schedules. The workers package runs Pump and Deliver as asynq tasks and
// makes sure one endpoint has at most one Deliver running at a time, which
// together with a per-endpoint in-flight limit keeps a slow or dead endpoint
// from delaying any other.
//
// Deliveries only go to public addresses: the HTTP client resolves the
// endpoint's host once per connection, refuses loopback, private,
// link-local, metadata and other special addresses unless the operator
// allowed them, and dials exactly the address it checked.
package outbound
