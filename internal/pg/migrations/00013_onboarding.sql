-- +goose Up
-- Embedded Signup onboardings: one row per (tenant, WABA, phone number) a
-- partner or admin onboarded, and one row per step of it. Postgres is the
-- record of each step's state; the asynq tasks that run them only carry ids.
CREATE TABLE onboardings (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              uuid NOT NULL,
    waba_id         text NOT NULL CHECK (waba_id ~ '^[0-9]{1,32}$'),
    phone_number_id text NOT NULL CHECK (phone_number_id ~ '^[0-9]{1,32}$'),
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'running', 'succeeded', 'failed')),
    -- run counts starts and retries; it is part of each step's task id, so
    -- a retried step is queued again even though its first task is archived.
    run             integer NOT NULL DEFAULT 1,
    -- The Embedded Signup code until it is exchanged, then the business
    -- token until it is stored on the WABA; sealed by secretbox with the
    -- onboarding id as associated data.
    code_enc        bytea,
    code_kid        text,
    token_enc       bytea,
    token_kid       text,
    -- The two-step verification PIN the number is registered with, kept
    -- sealed so support can give it to the business.
    pin_enc         bytea NOT NULL,
    pin_kid         text NOT NULL,
    pin_generated   boolean NOT NULL,
    waba_ref        uuid,
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, waba_id, phone_number_id)
);
CREATE INDEX onboardings_tenant_idx ON onboardings (tenant_id, created_at DESC, id DESC);
CREATE INDEX onboardings_state_idx ON onboardings (state, created_at DESC, id DESC);
ALTER TABLE onboardings ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON onboardings USING (tenant_id = current_tenant());

CREATE TABLE onboarding_steps (
    tenant_id     uuid NOT NULL,
    onboarding_id uuid NOT NULL,
    step          text NOT NULL,
    position      smallint NOT NULL,
    state         text NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'running', 'succeeded', 'failed')),
    attempts      integer NOT NULL DEFAULT 0,
    -- The last failure, Meta's error when Meta refused.
    error_code    integer,
    error_subcode integer,
    error_type    text,
    error_message text,
    fbtrace_id    text,
    started_at    timestamptz,
    finished_at   timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, onboarding_id, step),
    FOREIGN KEY (tenant_id, onboarding_id) REFERENCES onboardings (tenant_id, id) ON DELETE CASCADE
);
ALTER TABLE onboarding_steps ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON onboarding_steps USING (tenant_id = current_tenant());

-- +goose Down
DROP TABLE onboarding_steps;
DROP TABLE onboardings;
