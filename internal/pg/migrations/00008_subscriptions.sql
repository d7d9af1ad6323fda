-- +goose Up
-- Outbound subscriptions: endpoints of tenants and partners that receive
-- domain events, signed per the Standard Webhooks specification, with a
-- durable delivery log, dead letters and replay.

-- A subscription belongs to exactly one tenant or one partner. A partner's
-- subscription receives the events of every tenant assigned to it, so it has
-- no tenant_id; the tenant_isolation policy hides it from tenant-scoped
-- transactions, and partner subscriptions are only read as the owning role
-- with a partner_id filter.
CREATE TABLE webhook_subscriptions (
    id                  uuid PRIMARY KEY,
    tenant_id           uuid REFERENCES tenants (id) ON DELETE CASCADE,
    partner_id          uuid REFERENCES partners (id) ON DELETE CASCADE,
    url                 text NOT NULL CHECK (length(url) BETWEEN 8 AND 2048),
    description         text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    event_types         text[] NOT NULL CHECK (cardinality(event_types) BETWEEN 1 AND 64),
    active              boolean NOT NULL DEFAULT true,
    -- ordered endpoints receive one delivery at a time in event order; a
    -- failing delivery holds back the ones behind it.
    ordered             boolean NOT NULL DEFAULT false,
    max_in_flight       integer NOT NULL DEFAULT 4 CHECK (max_in_flight BETWEEN 1 AND 64),
    -- The signing secret, sealed by secretbox with the subscription id as
    -- associated data. During a rotation the previous secret signs too until
    -- previous_expires_at.
    secret_enc          bytea NOT NULL,
    secret_kid          text NOT NULL,
    previous_secret_enc bytea,
    previous_secret_kid text,
    previous_expires_at timestamptz,
    -- Why an inactive subscription stopped: 'gone' (HTTP 410), 'failing'
    -- (failed for the whole failure window) or 'manual'.
    disabled_reason     text CHECK (disabled_reason IN ('gone', 'failing', 'manual')),
    disabled_at         timestamptz,
    -- failing_since is the first failed attempt after the last success.
    failing_since       timestamptz,
    -- After a round of failed attempts nothing is sent before retry_at, so
    -- a dead endpoint is probed once per backoff step, not once per event.
    retry_at            timestamptz,
    last_success_at     timestamptz,
    last_failure_at     timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((tenant_id IS NULL) <> (partner_id IS NULL)),
    CHECK (active = (disabled_reason IS NULL))
);
CREATE INDEX webhook_subscriptions_tenant_idx ON webhook_subscriptions (tenant_id, created_at DESC, id DESC)
    WHERE tenant_id IS NOT NULL;
CREATE INDEX webhook_subscriptions_partner_idx ON webhook_subscriptions (partner_id, created_at DESC, id DESC)
    WHERE partner_id IS NOT NULL;
ALTER TABLE webhook_subscriptions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_subscriptions USING (tenant_id = current_tenant());

-- One message to one subscription. tenant_id is the tenant whose event it
-- carries (also for partner subscriptions). message_id is the webhook-id
-- header: the same on every attempt and on replays of the same event.
-- Event deliveries read their body from domain_events; test messages carry
-- their own payload.
CREATE TABLE webhook_deliveries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id        uuid NOT NULL,
    subscription_id  uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id         bigint,
    message_id       text NOT NULL,
    event_type       text NOT NULL,
    origin           text NOT NULL CHECK (origin IN ('event', 'replay', 'test')),
    replay_of        bigint,
    payload          jsonb,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    -- Retries stop once this passes; the delivery is then a dead letter.
    expires_at       timestamptz NOT NULL,
    last_attempt_at  timestamptz,
    last_status_code integer,
    last_error       text,
    dead_reason      text,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((origin = 'test') = (event_id IS NULL))
);
-- Fanning an event out twice (a pump retry) creates nothing new.
CREATE UNIQUE INDEX webhook_deliveries_event_idx ON webhook_deliveries (subscription_id, event_id)
    WHERE origin = 'event';
-- An endpoint's queue: what is due first, and whether anything is due.
CREATE INDEX webhook_deliveries_queue_idx ON webhook_deliveries (subscription_id, next_attempt_at, id)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (tenant_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_sub_idx ON webhook_deliveries (subscription_id, created_at DESC, id DESC);
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_deliveries USING (tenant_id = current_tenant());

-- Every attempt with its outcome: HTTP status or transport error, latency
-- and the start of the response body.
CREATE TABLE webhook_attempts (
    tenant_id       uuid NOT NULL,
    delivery_id     bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt         integer NOT NULL CHECK (attempt >= 1),
    subscription_id uuid NOT NULL,
    attempted_at    timestamptz NOT NULL,
    latency_ms      integer NOT NULL CHECK (latency_ms >= 0),
    status_code     integer,
    error           text,
    response_body   text NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, attempt)
);
CREATE INDEX webhook_attempts_sub_idx ON webhook_attempts (subscription_id, attempted_at DESC);
ALTER TABLE webhook_attempts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_attempts USING (tenant_id = current_tenant());

-- Idempotency-Key claims of creating writes (subscriptions, replays): the
-- same key and request return the first result. A subscription's result is
-- its id; its secret stays sealed in webhook_subscriptions.
CREATE TABLE webhook_idempotency (
    tenant_id      uuid REFERENCES tenants (id) ON DELETE CASCADE,
    partner_id     uuid REFERENCES partners (id) ON DELETE CASCADE,
    operation      text NOT NULL,
    key            text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_sha256 bytea NOT NULL,
    response       jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((tenant_id IS NULL) <> (partner_id IS NULL))
);
CREATE UNIQUE INDEX webhook_idempotency_key_idx
    ON webhook_idempotency (coalesce(tenant_id, partner_id), operation, key);
ALTER TABLE webhook_idempotency ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_idempotency USING (tenant_id = current_tenant());

-- How far the pump has fanned out domain_events. Event ids are taken when a
-- transaction inserts, not when it commits, so a lower id can appear after a
-- higher one: ids skipped over are kept as gaps and looked at again until
-- they show up or are old enough to be a rolled-back insert.
CREATE TABLE webhook_pump (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_event_id bigint NOT NULL DEFAULT 0,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
INSERT INTO webhook_pump (last_event_id) SELECT coalesce(max(id), 0) FROM domain_events;
CREATE TABLE webhook_pump_gaps (
    event_id bigint PRIMARY KEY,
    seen_at  timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON webhook_pump, webhook_pump_gaps FROM wabsp_tenant;

-- +goose Down
DROP TABLE webhook_pump_gaps, webhook_pump, webhook_idempotency, webhook_attempts, webhook_deliveries, webhook_subscriptions;
