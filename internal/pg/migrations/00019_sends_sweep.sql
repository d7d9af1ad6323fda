-- +goose Up
-- Sends committed as queued whose delivery task never reached Redis are
-- found by age across tenants and queued again (see sending.Store.Stale).
CREATE INDEX sends_queued_idx ON sends (updated_at, tenant_id, id) WHERE state = 'queued';

-- +goose Down
DROP INDEX sends_queued_idx;
