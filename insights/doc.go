// Package insights keeps the trackers a business needs to find which part of
// its conversations to fix when a quality signal arrives: response times,
// message funnels, busiest hours, new and returning contacts, journeys and
// A/B experiments.
//
// Meta's status webhooks name no template, agent or campaign, so the business
// annotates its outbound messages by wamid, before or after their statuses
// arrive; inbound replies are tied to the message they answer through
// context.id. Every number is computed from Meta's timestamps (receipt time
// is only a fallback for events that carry none).
//
// The webhooks handler and the API writes share one fold: each change to a
// message, inbound message, turn or journey hit moves that row's
// contribution from its old roll-up keys to its new ones, inside the same
// transaction and under a per-tenant lock, so the roll-ups always equal a
// recount of the rows (Recount checks exactly that). Reads touch only the
// roll-ups, plus one index probe per percentile to make medians and p90s
// exact.
package insights
