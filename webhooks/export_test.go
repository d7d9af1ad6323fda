package webhooks

// MessageOwnerSQL is the admin lookup's query, for checking its plan.
const MessageOwnerSQL = messageOwnerSQL
