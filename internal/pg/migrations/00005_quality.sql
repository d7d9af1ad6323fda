-- +goose Up
-- Quality monitoring: the current state of every phone number, template and
-- WABA as Meta last reported it (by webhook or poll), the full history of
-- each change, and the alerts derived from the state.
--
-- Each tracked attribute keeps the Meta time of the observation that set it
-- (<attr>_at): an observation older than that never overwrites it, because
-- Meta delivers out of order and a poll can race a late webhook.

-- Phone numbers are keyed by WABA and display digits: quality webhooks name
-- a number only by its digits, and a number Meta reports before anyone
-- onboarded it must still get a record. phone_number_id fills in once known.
CREATE TABLE quality_numbers (
    id                   uuid PRIMARY KEY,
    tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    waba_id              text NOT NULL,
    display_digits       text NOT NULL CHECK (display_digits ~ '^[0-9]{1,20}$'),
    phone_number_id      text NOT NULL DEFAULT '',
    display_phone_number text NOT NULL DEFAULT '',
    verified_name        text NOT NULL DEFAULT '',
    quality_rating       text NOT NULL DEFAULT '',
    quality_rating_at    timestamptz,
    status               text NOT NULL DEFAULT '',
    status_at            timestamptz,
    name_status          text NOT NULL DEFAULT '',
    name_status_at       timestamptz,
    throughput           text NOT NULL DEFAULT '',
    throughput_at        timestamptz,
    legacy_tier          text NOT NULL DEFAULT '',
    legacy_tier_at       timestamptz,
    messaging_limit      text NOT NULL DEFAULT '',
    messaging_limit_at   timestamptz,
    -- When the number last entered FLAGGED (the legacy seven-day rule).
    flagged_since        timestamptz,
    discovered_via       text NOT NULL CHECK (discovered_via IN ('webhook', 'poll')),
    first_seen_at        timestamptz NOT NULL,
    polled_at            timestamptz,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, waba_id, display_digits)
);
CREATE INDEX quality_numbers_list_idx ON quality_numbers (tenant_id, first_seen_at DESC, id DESC);
ALTER TABLE quality_numbers ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON quality_numbers USING (tenant_id = current_tenant());

-- Templates are keyed by Meta's template id (one per name and language).
CREATE TABLE quality_templates (
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    template_id        text NOT NULL CHECK (template_id ~ '^[0-9]{1,32}$'),
    waba_id            text NOT NULL,
    name               text NOT NULL DEFAULT '',
    language           text NOT NULL DEFAULT '',
    status             text NOT NULL DEFAULT '',
    status_at          timestamptz,
    status_reason      text NOT NULL DEFAULT '',
    quality_score      text NOT NULL DEFAULT '',
    quality_score_at   timestamptz,
    category           text NOT NULL DEFAULT '',
    category_at        timestamptz,
    previous_category  text NOT NULL DEFAULT '',
    -- An announced recategorisation: the category it becomes, and when.
    pending_category    text NOT NULL DEFAULT '',
    pending_category_at timestamptz,
    pause_count        integer NOT NULL DEFAULT 0,
    discovered_via     text NOT NULL CHECK (discovered_via IN ('webhook', 'poll')),
    first_seen_at      timestamptz NOT NULL,
    polled_at          timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, template_id)
);
CREATE INDEX quality_templates_list_idx ON quality_templates (tenant_id, first_seen_at DESC, template_id DESC);
ALTER TABLE quality_templates ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON quality_templates USING (tenant_id = current_tenant());

-- Account-level state per WABA: the business portfolio's messaging limit as
-- reported for this WABA, restrictions, bans, offboarding, review, and
-- Meta's own account alerts (keyed by alert type). The poll bookkeeping
-- lives here too, so the scheduler finds what is due in one query.
CREATE TABLE quality_accounts (
    tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    waba_id              text NOT NULL,
    messaging_limit      text NOT NULL DEFAULT '',
    messaging_limit_at   timestamptz,
    max_phone_numbers    text NOT NULL DEFAULT '',
    max_phone_numbers_at timestamptz,
    review_decision      text NOT NULL DEFAULT '',
    review_decision_at   timestamptz,
    ban_state            text NOT NULL DEFAULT '',
    ban_state_at         timestamptz,
    ban_date             text NOT NULL DEFAULT '',
    restrictions         jsonb NOT NULL DEFAULT '[]',
    restrictions_at      timestamptz,
    connection           text NOT NULL DEFAULT '',
    connection_at        timestamptz,
    violation            text NOT NULL DEFAULT '',
    violation_at         timestamptz,
    meta_alerts          jsonb NOT NULL DEFAULT '{}',
    subscribed_at        timestamptz,
    numbers_polled_at    timestamptz,
    templates_polled_at  timestamptz,
    -- A poll that failed for good (revoked token, WABA gone) is not tried
    -- again before poll_blocked_until: Graph errors are never retried blindly.
    poll_error           text NOT NULL DEFAULT '',
    poll_blocked_until   timestamptz,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, waba_id)
);
ALTER TABLE quality_accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON quality_accounts USING (tenant_id = current_tenant());

-- Every observed change of every tracked attribute, and every account event.
-- A row is unique per (subject, attribute, value, Meta time): a redelivered
-- webhook or a repeated poll adds nothing. old_value is the value the change
-- replaced when it was applied in order, NULL for the first sighting and for
-- late observations that only fill in the past.
CREATE TABLE quality_history (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    subject_kind text NOT NULL CHECK (subject_kind IN ('number', 'template', 'account')),
    subject_id   text NOT NULL,
    attribute    text NOT NULL,
    old_value    text,
    value        text NOT NULL,
    event_time   timestamptz NOT NULL,
    received_at  timestamptz NOT NULL,
    source       text NOT NULL CHECK (source IN ('webhook', 'poll')),
    event_id     text NOT NULL,
    late         boolean NOT NULL DEFAULT false,
    detail       jsonb
);
CREATE UNIQUE INDEX quality_history_key ON quality_history
    (tenant_id, subject_kind, subject_id, attribute, event_time, value);
CREATE INDEX quality_history_time_idx ON quality_history
    (tenant_id, subject_kind, subject_id, event_time DESC, id DESC);
ALTER TABLE quality_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON quality_history USING (tenant_id = current_tenant());

-- Alerts open and resolve themselves from the state above; a tenant may
-- acknowledge one. At most one alert of a kind is open per subject.
CREATE TABLE quality_alerts (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind            text NOT NULL,
    subject_kind    text NOT NULL CHECK (subject_kind IN ('number', 'template', 'account')),
    subject_id      text NOT NULL,
    subject_label   text NOT NULL DEFAULT '',
    severity        text NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
    value           text NOT NULL DEFAULT '',
    -- baseline is the value a "went down" alert waits to get back to.
    baseline        text NOT NULL DEFAULT '',
    detail          jsonb NOT NULL DEFAULT '{}',
    opened_at       timestamptz NOT NULL,
    resolved_at     timestamptz,
    acknowledged_at timestamptz,
    acknowledged_by text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX quality_alerts_open_key ON quality_alerts (tenant_id, kind, subject_kind, subject_id)
    WHERE resolved_at IS NULL;
CREATE INDEX quality_alerts_list_idx ON quality_alerts (tenant_id, opened_at DESC, id DESC);
CREATE INDEX quality_alerts_open_idx ON quality_alerts (opened_at) WHERE resolved_at IS NULL;
ALTER TABLE quality_alerts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON quality_alerts USING (tenant_id = current_tenant());

-- +goose Down
DROP TABLE quality_alerts, quality_history, quality_accounts, quality_templates, quality_numbers;
