-- +goose Up
-- Indexes behind the API's list filters. Every list pages newest first by
-- (created_at, id) or (at, id), so each index ends with that key.
CREATE INDEX partners_created_idx ON partners (created_at DESC, id DESC);
CREATE INDEX api_clients_created_idx ON api_clients (created_at DESC, id DESC);
CREATE INDEX api_clients_tenant_idx ON api_clients (tenant_id) WHERE tenant_id IS NOT NULL;
CREATE INDEX api_clients_partner_idx ON api_clients (partner_id) WHERE partner_id IS NOT NULL;
CREATE INDEX phone_numbers_tenant_created_idx ON phone_numbers (tenant_id, created_at DESC, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at DESC, id DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, at DESC, id DESC);

-- +goose Down
DROP INDEX audit_log_action_idx, audit_log_actor_idx, phone_numbers_tenant_created_idx,
    api_clients_partner_idx, api_clients_tenant_idx, api_clients_created_idx, partners_created_idx;
