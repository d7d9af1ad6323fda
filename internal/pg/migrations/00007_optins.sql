-- +goose Up
-- Opt-ins: contacts, their messaging windows, the append-only consent ledger
-- and its projection, per-tenant keyword and button settings, imports, and
-- idempotent API writes.

-- A WhatsApp user as one tenant knows them. wa_id (E.164 digits) and bsuid
-- (Meta's business-scoped user id, since 2026) are both optional because
-- either can be missing from a webhook; at least one is set until the
-- contact is erased. A contact whose number moved keeps its old wa_id for
-- lookups but gives up the unique slot, so the number can become a new
-- contact. Erasure replaces the personal columns with NULLs (the tombstone)
-- and keeps the row, which the ledger still points at.
CREATE TABLE contacts (
    id                       uuid PRIMARY KEY,
    tenant_id                uuid NOT NULL,
    wa_id                    text CHECK (wa_id ~ '^[1-9][0-9]{6,14}$'),
    bsuid                    text CHECK (length(bsuid) BETWEEN 3 AND 160),
    parent_bsuid             text,
    username                 text,
    profile_name             text NOT NULL DEFAULT '',
    source                   text NOT NULL CHECK (source IN ('inbound', 'import', 'api', 'number_change')),
    status                   text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'moved', 'erased')),
    moved_to                 uuid,
    moved_from               uuid,
    moved_at                 timestamptz,
    identity_key_hash        text,
    identity_changed_at      timestamptz,
    identity_acknowledged_at timestamptz,
    first_inbound_at         timestamptz,
    last_inbound_at          timestamptz,
    erased_at                timestamptz,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    CHECK (status = 'erased' OR wa_id IS NOT NULL OR bsuid IS NOT NULL)
);
CREATE UNIQUE INDEX contacts_wa_id_idx ON contacts (tenant_id, wa_id) WHERE wa_id IS NOT NULL AND status = 'active';
CREATE UNIQUE INDEX contacts_bsuid_idx ON contacts (tenant_id, bsuid) WHERE bsuid IS NOT NULL AND status = 'active';
CREATE INDEX contacts_moved_idx ON contacts (tenant_id, wa_id) WHERE status = 'moved';
CREATE INDEX contacts_created_idx ON contacts (tenant_id, created_at DESC, id DESC);
ALTER TABLE contacts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON contacts USING (tenant_id = current_tenant());

-- The keys a contact was re-keyed away from (Meta regenerates BSUIDs), so a
-- late webhook or a caller naming an old key still finds the contact.
CREATE TABLE contact_aliases (
    tenant_id  uuid NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('wa_id', 'bsuid')),
    value      text NOT NULL,
    contact_id uuid NOT NULL,
    seen_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, kind, value, contact_id)
);
CREATE INDEX contact_aliases_contact_idx ON contact_aliases (tenant_id, contact_id);
ALTER TABLE contact_aliases ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON contact_aliases USING (tenant_id = current_tenant());

-- Messaging windows per (contact, business number). Each inbound message
-- reopens the 24-hour customer service window from its Meta timestamp. A
-- message from a Click-to-WhatsApp ad sets referral_at; the business's first
-- reply within 24 hours of it (fep_opened_at) opens the 72-hour free entry
-- point window.
CREATE TABLE contact_windows (
    tenant_id       uuid NOT NULL,
    contact_id      uuid NOT NULL,
    phone_number_id text NOT NULL,
    last_inbound_at timestamptz NOT NULL,
    referral_at     timestamptz,
    fep_opened_at   timestamptz,
    PRIMARY KEY (tenant_id, contact_id, phone_number_id)
);
CREATE INDEX contact_windows_fep_pending_idx ON contact_windows (tenant_id, referral_at)
    WHERE referral_at IS NOT NULL AND fep_opened_at IS NULL;
ALTER TABLE contact_windows ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON contact_windows USING (tenant_id = current_tenant());

-- The consent ledger. Rows are appended and never changed, with one
-- exception the trigger below allows: erasure, which replaces the personal
-- columns (wa_id, bsuid, ip, user agent, the person's own message text) with
-- NULLs and stamps erased_at, keeping the fact of consent. dedupe_key makes
-- entries derived from webhooks idempotent.
CREATE TABLE consent_ledger (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id          uuid NOT NULL,
    contact_id         uuid NOT NULL,
    wa_id              text,
    bsuid              text,
    purpose            text NOT NULL CHECK (purpose IN ('marketing', 'utility', 'authentication', 'all')),
    action             text NOT NULL CHECK (action IN ('opt_in', 'opt_out')),
    source             text NOT NULL CHECK (source IN ('api', 'import', 'web_form', 'inbound_keyword', 'quick_reply', 'user_preferences')),
    notice_text        text,
    evidence_url       text,
    evidence_ip        inet,
    evidence_user_agent text,
    message_id         text,
    message_text       text,
    evidence_note      text,
    phone_number_id    text,
    actor              text NOT NULL,
    occurred_at        timestamptz NOT NULL,
    recorded_at        timestamptz NOT NULL DEFAULT now(),
    import_id          uuid,
    dedupe_key         text,
    erased_at          timestamptz,
    CHECK (coalesce(notice_text, evidence_url, message_id, evidence_note) IS NOT NULL)
);
CREATE UNIQUE INDEX consent_ledger_dedupe_idx ON consent_ledger (tenant_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX consent_ledger_contact_idx ON consent_ledger (tenant_id, contact_id, id);
CREATE INDEX consent_ledger_time_idx ON consent_ledger (tenant_id, occurred_at, id);
ALTER TABLE consent_ledger ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON consent_ledger USING (tenant_id = current_tenant());

-- +goose StatementBegin
CREATE FUNCTION consent_ledger_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'consent_ledger is append-only' USING ERRCODE = '42501';
    END IF;
    IF NEW.erased_at IS NULL
        OR NEW.wa_id IS NOT NULL OR NEW.bsuid IS NOT NULL OR NEW.evidence_ip IS NOT NULL
        OR NEW.evidence_user_agent IS NOT NULL OR NEW.message_text IS NOT NULL
        OR (NEW.id, NEW.tenant_id, NEW.contact_id, NEW.purpose, NEW.action, NEW.source, NEW.notice_text,
            NEW.evidence_url, NEW.message_id, NEW.evidence_note, NEW.phone_number_id, NEW.actor, NEW.occurred_at,
            NEW.recorded_at, NEW.import_id, NEW.dedupe_key)
           IS DISTINCT FROM
           (OLD.id, OLD.tenant_id, OLD.contact_id, OLD.purpose, OLD.action, OLD.source, OLD.notice_text,
            OLD.evidence_url, OLD.message_id, OLD.evidence_note, OLD.phone_number_id, OLD.actor, OLD.occurred_at,
            OLD.recorded_at, OLD.import_id, OLD.dedupe_key)
    THEN
        RAISE EXCEPTION 'consent_ledger rows change only by erasure' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER consent_ledger_append_only BEFORE UPDATE OR DELETE ON consent_ledger
    FOR EACH ROW EXECUTE FUNCTION consent_ledger_append_only();

-- The projection of the ledger: per contact, purpose and track, the entry
-- that is latest by (occurred_at, id). Track "consent" holds what the person
-- told the business; track "meta" holds Meta's marketing stop/resume
-- (user_preferences), which blocks marketing without being consent itself.
-- It can always be rebuilt from the ledger.
CREATE TABLE consent_state (
    tenant_id   uuid NOT NULL,
    contact_id  uuid NOT NULL,
    purpose     text NOT NULL,
    track       text NOT NULL CHECK (track IN ('consent', 'meta')),
    action      text NOT NULL,
    source      text NOT NULL,
    occurred_at timestamptz NOT NULL,
    entry_id    bigint NOT NULL,
    PRIMARY KEY (tenant_id, contact_id, purpose, track)
);
ALTER TABLE consent_state ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON consent_state USING (tenant_id = current_tenant());

-- Per-tenant opt-out settings. Without a row the defaults apply: the built-in
-- keywords on, no extra keywords, no button payloads.
CREATE TABLE optin_settings (
    tenant_id        uuid PRIMARY KEY,
    default_keywords boolean NOT NULL DEFAULT true,
    keywords         jsonb NOT NULL DEFAULT '[]',
    buttons          jsonb NOT NULL DEFAULT '[]',
    updated_at       timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE optin_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON optin_settings USING (tenant_id = current_tenant());

-- Contact imports and their rejected rows.
CREATE TABLE contact_imports (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL,
    format          text NOT NULL,
    actor           text NOT NULL,
    rows_total      integer NOT NULL,
    rows_imported   integer NOT NULL,
    rows_rejected   integer NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_imports_created_idx ON contact_imports (tenant_id, created_at DESC, id DESC);
ALTER TABLE contact_imports ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON contact_imports USING (tenant_id = current_tenant());

CREATE TABLE contact_import_errors (
    tenant_id uuid NOT NULL,
    import_id uuid NOT NULL,
    line      integer NOT NULL,
    field     text NOT NULL,
    reason    text NOT NULL,
    PRIMARY KEY (tenant_id, import_id, line, field)
);
ALTER TABLE contact_import_errors ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON contact_import_errors USING (tenant_id = current_tenant());

-- Idempotency-Key records of consent writes and imports: the same key with
-- the same request returns the first response; with another request, a
-- conflict.
CREATE TABLE optin_idempotency (
    tenant_id      uuid NOT NULL,
    operation      text NOT NULL,
    key            text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_sha256 bytea NOT NULL,
    response       jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, operation, key)
);
ALTER TABLE optin_idempotency ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON optin_idempotency USING (tenant_id = current_tenant());

-- +goose Down
DROP TABLE optin_idempotency, contact_import_errors, contact_imports, optin_settings, consent_state,
    consent_ledger, contact_windows, contact_aliases, contacts;
DROP FUNCTION consent_ledger_append_only();
