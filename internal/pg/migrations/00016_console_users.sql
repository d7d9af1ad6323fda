-- +goose Up
-- Human users of the console, apart from API clients. Like api_clients they
-- are not owned by one tenant (admins and partners span many), so they have
-- no row-level security; a tenant user's tenant_id scopes what it sees.
CREATE TABLE console_users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL UNIQUE CHECK (email = lower(email) AND email LIKE '%_@_%'),
    password_hash text NOT NULL DEFAULT '',
    role          text NOT NULL CHECK (role IN ('admin', 'partner', 'tenant')),
    tenant_id     uuid REFERENCES tenants (id) ON DELETE CASCADE,
    partner_id    uuid REFERENCES partners (id) ON DELETE CASCADE,
    failed_logins int NOT NULL DEFAULT 0,
    locked_until  timestamptz,
    disabled_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'tenant') = (tenant_id IS NOT NULL)),
    CHECK ((role = 'partner') = (partner_id IS NOT NULL))
);

-- Server-side sessions. Only a hash of the cookie value is stored, so a
-- leaked table does not log anyone in. user_id is NULL for the anonymous
-- session that carries the login form's CSRF token; login replaces it.
CREATE TABLE console_sessions (
    id_hash    bytea PRIMARY KEY,
    user_id    uuid REFERENCES console_users (id) ON DELETE CASCADE,
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);

-- Password links issued on invitation and by admins; single use, expiring.
CREATE TABLE console_password_resets (
    token_hash bytea PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX console_password_resets_user ON console_password_resets (user_id);

-- +goose Down
DROP TABLE console_password_resets, console_sessions, console_users;
