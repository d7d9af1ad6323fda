-- +goose Up
-- The role tenant-scoped transactions switch to (SET LOCAL ROLE). Roles are
-- cluster-wide, so creating it tolerates another database having done so.
-- +goose StatementBegin
DO $$
BEGIN
    CREATE ROLE wabsp_tenant NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
-- +goose StatementEnd

-- A non-superuser owner must be a member to SET ROLE; a superuser already may.
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('GRANT wabsp_tenant TO %I', current_user);
EXCEPTION WHEN OTHERS THEN
    NULL;
END
$$;
-- +goose StatementEnd

GRANT USAGE ON SCHEMA public TO wabsp_tenant;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO wabsp_tenant;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO wabsp_tenant;

-- current_tenant() is what every RLS policy compares tenant_id with.
CREATE FUNCTION current_tenant() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('wabsp.tenant_id', true), '')::uuid $$;

CREATE TABLE tenants (
    id               uuid PRIMARY KEY,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    slug             text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    time_zone        text NOT NULL DEFAULT 'UTC',
    currency         char(3) NOT NULL DEFAULT 'USD',
    plan             text NOT NULL DEFAULT 'standard',
    retention_days   integer NOT NULL DEFAULT 400 CHECK (retention_days BETWEEN 30 AND 3650),
    suspended_at     timestamptz,
    suspended_reason text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenants_created_idx ON tenants (created_at DESC, id DESC);
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants USING (id = current_tenant());

CREATE TABLE partners (
    id         uuid PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE partner_tenants (
    partner_id  uuid NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    assigned_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_id, tenant_id)
);
CREATE INDEX partner_tenants_tenant_idx ON partner_tenants (tenant_id);

-- API clients authenticate with client_credentials. The secret is stored as a
-- salted hash only; it is shown once when created.
CREATE TABLE api_clients (
    id          uuid PRIMARY KEY,
    client_id   text NOT NULL UNIQUE,
    secret_hash text NOT NULL,
    name        text NOT NULL,
    role        text NOT NULL CHECK (role IN ('admin', 'partner', 'tenant')),
    tenant_id   uuid REFERENCES tenants (id) ON DELETE CASCADE,
    partner_id  uuid REFERENCES partners (id) ON DELETE CASCADE,
    scopes      text[] NOT NULL,
    disabled_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    CHECK ((role = 'tenant') = (tenant_id IS NOT NULL)),
    CHECK ((role = 'partner') = (partner_id IS NOT NULL))
);

-- WhatsApp Business Accounts. waba_id is Meta's id and is unique across
-- tenants: one WABA belongs to one client business.
CREATE TABLE wabas (
    id                 uuid PRIMARY KEY,
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    waba_id            text NOT NULL UNIQUE CHECK (waba_id ~ '^[0-9]{1,32}$'),
    business_id        text CHECK (business_id ~ '^[0-9]{1,32}$'),
    name               text NOT NULL DEFAULT '',
    currency           char(3) NOT NULL DEFAULT 'USD',
    time_zone          text NOT NULL DEFAULT 'UTC',
    access_token_enc   bytea,
    access_token_kid   text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id)
);
CREATE INDEX wabas_tenant_idx ON wabas (tenant_id, created_at DESC);
ALTER TABLE wabas ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON wabas USING (tenant_id = current_tenant());

-- display_digits is the display number with everything but digits removed:
-- phone_number_quality_update and friends name the number only that way.
CREATE TABLE phone_numbers (
    id                   uuid PRIMARY KEY,
    tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    waba_ref             uuid NOT NULL,
    phone_number_id      text NOT NULL UNIQUE CHECK (phone_number_id ~ '^[0-9]{1,32}$'),
    display_phone_number text NOT NULL CHECK (display_phone_number ~ '^\+[1-9][0-9]{6,14}$'),
    display_digits       text GENERATED ALWAYS AS (regexp_replace(display_phone_number, '[^0-9]', '', 'g')) STORED,
    verified_name        text NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, waba_ref) REFERENCES wabas (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX phone_numbers_tenant_idx ON phone_numbers (tenant_id, waba_ref);
CREATE INDEX phone_numbers_digits_idx ON phone_numbers (display_digits);
ALTER TABLE phone_numbers ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON phone_numbers USING (tenant_id = current_tenant());

-- Every write by an admin or a partner, with the state before and after.
CREATE TABLE audit_log (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    actor_id      uuid,
    actor_role    text NOT NULL,
    tenant_id     uuid,
    action        text NOT NULL,
    resource_type text NOT NULL,
    resource_id   text NOT NULL,
    before        jsonb,
    after         jsonb,
    request_id    text
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, at DESC);

-- Written by the maintenance task; proves the worker path end to end.
CREATE TABLE maintenance_runs (
    id       bigserial PRIMARY KEY,
    task     text NOT NULL,
    ran_at   timestamptz NOT NULL DEFAULT now(),
    detail   jsonb NOT NULL DEFAULT '{}'
);

-- +goose Down
DROP TABLE maintenance_runs, audit_log, phone_numbers, wabas, api_clients, partner_tenants, partners, tenants;
DROP FUNCTION current_tenant();
