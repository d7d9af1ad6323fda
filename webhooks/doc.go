// Package webhooks turns Meta's app-level webhook stream into tenant-owned
// records.
//
// Meta posts every client's events to one callback, batched, at least once,
// out of order, and with payload shapes that drift between API versions. The
// intake therefore runs in two stages that a worker drives:
//
//  1. Archive stores each raw body once (keyed by its SHA-256) before anything
//     interprets it, because Meta cannot resend history. Route splits the
//     bodies into changes, finds each change's tenant from the ids inside it
//     (phone_number_id, WABA id, or display digits) and groups them per
//     tenant; changes nobody owns yet wait as orphans until AdoptOrphans finds
//     their owner. MarkRouted closes the body once its changes are queued.
//  2. Apply writes one tenant's changes in a single tenant-scoped transaction,
//     dispatching by field to registered Handlers or, for fields no domain has
//     claimed, to default handlers that keep statuses, message state, inbound
//     messages and every other event, so nothing is lost before a domain
//     package takes a field over.
//
// Every step is idempotent: a redelivered body, a status seen twice, an Apply
// retried after a crash each take effect once. Decoding is deliberately
// lenient about values (ids and timestamps as strings or numbers, enums as
// open strings, unknown keys ignored) and strict about the envelope, so a
// body is either a whatsapp_business_account webhook or archived as poison.
package webhooks
