-- +goose Up
-- Meta webhook intake: the raw archive, changes no tenant claims yet, and the
-- tenant-owned rows the webhooks package writes until the quality, billing and
-- optins domains take their fields over.

-- Every POST body exactly as received. Meta offers no way to fetch a missed
-- webhook again, so this is the only copy; replay and poison triage read it.
-- A body is poison when error is set (not a whatsapp_business_account
-- envelope), routed once webhook_routed has it, pending before that. Rows
-- are written once: marking bodies routed inserts narrow rows instead of
-- rewriting wide ones.
CREATE TABLE webhook_archive (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body_sha256 bytea NOT NULL UNIQUE CHECK (length(body_sha256) = 32),
    received_at timestamptz NOT NULL,
    app_id      text NOT NULL DEFAULT '',
    size        integer NOT NULL CHECK (size >= 0),
    body        bytea NOT NULL,
    error       text,
    archived_at timestamptz NOT NULL DEFAULT now()
);
-- Receipt times follow insertion order, so a block-range index serves
-- retention and time-range listings at a fraction of a b-tree's upkeep.
CREATE INDEX webhook_archive_received_idx ON webhook_archive USING brin (received_at) WITH (autosummarize = on);
CREATE INDEX webhook_archive_poison_idx ON webhook_archive (id DESC) WHERE error IS NOT NULL;

-- Bodies whose changes are all queued for apply: a redelivery of their bytes
-- is dropped. Written for every body, so it carries no foreign key (a
-- trigger per row); purging the archive deletes its rows in the same
-- statement.
CREATE TABLE webhook_routed (
    archive_id bigint PRIMARY KEY,
    routed_at  timestamptz NOT NULL DEFAULT now()
);

-- Which tenants each archived body was routed to, for per-tenant replay.
-- Written for every body, so it carries no foreign keys (a trigger per row);
-- purging the archive deletes its rows in the same statement.
CREATE TABLE webhook_routes (
    tenant_id  uuid NOT NULL,
    archive_id bigint NOT NULL,
    PRIMARY KEY (tenant_id, archive_id)
);
CREATE INDEX webhook_routes_archive_idx ON webhook_routes (archive_id);

-- Changes whose WABA or phone number no tenant owns yet (a webhook can beat
-- onboarding). The lookup keys are kept so adoption can retry them; empty
-- string means "not in the payload".
CREATE TABLE webhook_orphans (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    archive_id      bigint NOT NULL REFERENCES webhook_archive (id) ON DELETE CASCADE,
    change_index    integer NOT NULL,
    field           text NOT NULL,
    entry_id        text NOT NULL,
    entry_time      bigint NOT NULL DEFAULT 0,
    waba_id         text NOT NULL DEFAULT '',
    phone_number_id text NOT NULL DEFAULT '',
    display_digits  text NOT NULL DEFAULT '',
    value           jsonb NOT NULL,
    received_at     timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    adopted_at      timestamptz,
    tenant_id       uuid REFERENCES tenants (id) ON DELETE SET NULL,
    UNIQUE (archive_id, change_index)
);
CREATE INDEX webhook_orphans_waiting_idx ON webhook_orphans (waba_id, phone_number_id, display_digits)
    WHERE adopted_at IS NULL;

-- The intake tables above are system-wide; the tenant role has no business
-- reading other tenants' raw payloads.
REVOKE ALL ON webhook_archive, webhook_routed, webhook_routes, webhook_orphans FROM wabsp_tenant;
REVOKE ALL ON SEQUENCE webhook_archive_id_seq, webhook_orphans_id_seq FROM wabsp_tenant;

-- One row per status webhook of an outbound message. The key makes Meta's
-- redeliveries and repeated applies no-ops. Keys beyond these columns stay in
-- the archived body (archive_id, change_index). The hot tables below carry no
-- foreign key to tenants: a per-row trigger on the busiest insert path costs
-- more than it protects, and tenant removal deletes by tenant_id.
CREATE TABLE message_statuses (
    tenant_id           uuid NOT NULL,
    wamid               text NOT NULL,
    status              text NOT NULL,
    event_time          timestamptz,
    received_at         timestamptz NOT NULL,
    phone_number_id     text NOT NULL DEFAULT '',
    recipient_id        text,
    recipient_user_id   text,
    pricing_billable    boolean,
    pricing_model       text,
    pricing_type        text,
    pricing_category    text,
    pricing             jsonb,
    conversation_id     text,
    conversation_origin text,
    errors              jsonb,
    biz_opaque_callback_data text,
    archive_id          bigint NOT NULL,
    change_index        integer NOT NULL,
    PRIMARY KEY (tenant_id, wamid, status)
);
ALTER TABLE message_statuses ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON message_statuses USING (tenant_id = current_tenant());

-- The current state of each outbound message. status_rank only grows:
-- 0 unknown < 1 sent < 2 delivered < 3 read < 4 played < 5 failed (terminal).
-- The per-status times fill in whatever order the webhooks arrive.
CREATE TABLE message_state (
    tenant_id         uuid NOT NULL,
    wamid             text NOT NULL,
    status            text NOT NULL,
    status_rank       smallint NOT NULL,
    status_at         timestamptz,
    phone_number_id   text NOT NULL DEFAULT '',
    recipient_id      text,
    recipient_user_id text,
    sent_at           timestamptz,
    delivered_at      timestamptz,
    read_at           timestamptz,
    played_at         timestamptz,
    failed_at         timestamptz,
    error_code        integer,
    first_seen_at     timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, wamid)
);
ALTER TABLE message_state ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON message_state USING (tenant_id = current_tenant());

-- Inbound user messages (system messages are tenant_events).
CREATE TABLE inbound_messages (
    tenant_id           uuid NOT NULL,
    wamid               text NOT NULL,
    phone_number_id     text NOT NULL DEFAULT '',
    from_wa_id          text,
    from_user_id        text,
    from_parent_user_id text,
    type                text NOT NULL,
    event_time          timestamptz,
    received_at         timestamptz NOT NULL,
    context_id          text,
    contact             jsonb,
    payload             jsonb NOT NULL,
    archive_id          bigint NOT NULL,
    change_index        integer NOT NULL,
    PRIMARY KEY (tenant_id, wamid)
);
CREATE INDEX inbound_messages_time_idx ON inbound_messages (tenant_id, event_time DESC);
ALTER TABLE inbound_messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inbound_messages USING (tenant_id = current_tenant());

-- Every other change, one row per event (a change may hold several, e.g. one
-- per user_preferences item). The key is the change's place in its archived
-- body, so re-applying or adopting it again is a no-op.
CREATE TABLE tenant_events (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    archive_id      bigint NOT NULL,
    change_index    integer NOT NULL,
    sub_index       integer NOT NULL DEFAULT 0,
    domain          text NOT NULL,
    field           text NOT NULL,
    event           text NOT NULL DEFAULT '',
    subject         text NOT NULL DEFAULT '',
    waba_id         text NOT NULL DEFAULT '',
    phone_number_id text NOT NULL DEFAULT '',
    event_time      timestamptz,
    received_at     timestamptz NOT NULL,
    payload         jsonb NOT NULL,
    PRIMARY KEY (tenant_id, archive_id, change_index, sub_index)
);
CREATE INDEX tenant_events_domain_idx ON tenant_events (tenant_id, domain, received_at DESC);
ALTER TABLE tenant_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_events USING (tenant_id = current_tenant());

-- +goose Down
DROP TABLE tenant_events, inbound_messages, message_state, message_statuses,
    webhook_orphans, webhook_routes, webhook_routed, webhook_archive;
