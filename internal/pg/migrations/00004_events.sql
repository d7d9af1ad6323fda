-- +goose Up
-- The transactional outbox: a domain writes its events here in the same
-- transaction as the change that caused them, so none is lost and none is
-- invented. Outbound subscriptions deliver from this table.
CREATE TABLE domain_events (
    id          bigserial PRIMARY KEY,
    tenant_id   uuid NOT NULL,
    type        text NOT NULL CHECK (type ~ '^[a-z_]+(\.[a-z_]+)+$'),
    subject     text NOT NULL DEFAULT '',
    occurred_at timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- dedupe_key makes emitting idempotent: a replayed webhook that causes
    -- the same change emits nothing new.
    dedupe_key  text,
    data        jsonb NOT NULL
);
CREATE UNIQUE INDEX domain_events_dedupe_idx ON domain_events (tenant_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX domain_events_tenant_idx ON domain_events (tenant_id, id DESC);
CREATE INDEX domain_events_type_idx ON domain_events (tenant_id, type, id DESC);
ALTER TABLE domain_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON domain_events USING (tenant_id = current_tenant());

-- +goose Down
DROP TABLE domain_events;
