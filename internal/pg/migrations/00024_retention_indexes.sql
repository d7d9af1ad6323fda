-- +goose Up
-- Retention deletes a tenant's insight rows by day; without these the purge
-- would read every row the tenant has.
CREATE INDEX insight_messages_day_idx ON insight_messages (tenant_id, day);
CREATE INDEX insight_inbound_day_idx ON insight_inbound (tenant_id, day);
CREATE INDEX insight_turns_day_idx ON insight_turns (tenant_id, day);

-- +goose Down
DROP INDEX insight_turns_day_idx;
DROP INDEX insight_inbound_day_idx;
DROP INDEX insight_messages_day_idx;
