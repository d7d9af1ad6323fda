-- +goose Up
-- Sends: every message a tenant asked wabsp to send, from the request to
-- Meta's answer. A refused send is kept (state refused, with its reasons)
-- so the caller and the operator can see why nothing went out; it never
-- reaches Meta and costs nothing. wamid is unique per tenant so a status
-- webhook finds its send.
CREATE TABLE sends (
    id                uuid NOT NULL,
    tenant_id         uuid NOT NULL,
    phone_number_id   text NOT NULL,
    waba_id           text NOT NULL DEFAULT '',
    recipient         text NOT NULL,
    kind              text NOT NULL,
    template_name     text NOT NULL DEFAULT '',
    template_language text NOT NULL DEFAULT '',
    campaign_id       text NOT NULL DEFAULT '',
    agent             text NOT NULL DEFAULT '',
    request           jsonb NOT NULL,
    state             text NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'refused')),
    attempts          integer NOT NULL DEFAULT 0,
    wamid             text,
    error_code        integer,
    error_message     text NOT NULL DEFAULT '',
    reasons           text[] NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX sends_wamid_idx ON sends (tenant_id, wamid) WHERE wamid IS NOT NULL;
CREATE INDEX sends_created_idx ON sends (tenant_id, created_at DESC, id DESC);
CREATE INDEX sends_state_idx ON sends (tenant_id, state, created_at DESC, id DESC);
-- The portfolio messaging limit counts unique users of business-initiated
-- sends in the rolling 24 hours.
CREATE INDEX sends_recent_template_idx ON sends (tenant_id, created_at) WHERE kind = 'template';
ALTER TABLE sends ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sends USING (tenant_id = current_tenant());

-- Idempotency-Key records of POST /messages (see internal/idempotency).
CREATE TABLE send_idempotency (
    tenant_id      uuid NOT NULL,
    operation      text NOT NULL,
    key            text NOT NULL,
    request_sha256 bytea NOT NULL,
    response       jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, operation, key)
);
ALTER TABLE send_idempotency ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON send_idempotency USING (tenant_id = current_tenant());

-- +goose Down
DROP TABLE send_idempotency, sends;
