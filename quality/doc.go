// Package quality keeps the state and the whole history of what Meta reports
// about a tenant's phone numbers (quality rating, status, display-name
// review, throughput, the legacy per-number tier and the business portfolio's
// messaging limit), templates (status with its reason, quality score,
// category and announced recategorisations, pause count) and WhatsApp
// Business Accounts (restrictions, bans, offboarding, review, capability and
// Meta's account alerts).
//
// Meta tells a business about quality only as it changes, keeps no history
// in its API and delivers webhooks out of order, so every observation is
// stored with Meta's event time, the receipt time, its source (webhook or
// poll) and the id of the raw event, and an observation older than the one
// behind the current value only fills in the past. Observations come from
// webhooks (Handler, run inside the intake's tenant transaction) and from
// polling the Graph API (ApplyNumberPoll, ApplyTemplatePoll); both paths go
// through the same apply step, which also opens and resolves alerts and
// emits domain events through the outbox.
//
// Two messaging-limit models are exposed side by side and never confused:
// the legacy FLAGGED rule for phone numbers (before October 2025) and the
// current business-portfolio limit (see legacy.go and portfolio.go).
package quality
