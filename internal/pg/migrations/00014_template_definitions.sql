-- +goose Up
-- Templates submitted through wabsp's template API keep what was submitted
-- (components in Meta's shape and the parameter format), so a send can be
-- checked against the variables the template really has. Such templates
-- are known before any webhook or poll names them: they are discovered
-- via 'api', and their submissions, edits and deletions are history rows
-- with source 'api' naming the actor.
ALTER TABLE quality_templates
    ADD COLUMN components       jsonb,
    ADD COLUMN parameter_format text NOT NULL DEFAULT '',
    ADD COLUMN deleted_at       timestamptz;
ALTER TABLE quality_templates DROP CONSTRAINT quality_templates_discovered_via_check,
    ADD CONSTRAINT quality_templates_discovered_via_check CHECK (discovered_via IN ('webhook', 'poll', 'api'));
ALTER TABLE quality_history DROP CONSTRAINT quality_history_source_check,
    ADD CONSTRAINT quality_history_source_check CHECK (source IN ('webhook', 'poll', 'api'));

-- Idempotency-Key records of template submissions: the same key with the
-- same request returns the first response; with another, a conflict.
CREATE TABLE quality_idempotency (
    tenant_id      uuid NOT NULL,
    operation      text NOT NULL,
    key            text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_sha256 bytea NOT NULL,
    response       jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, operation, key)
);
ALTER TABLE quality_idempotency ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON quality_idempotency USING (tenant_id = current_tenant());

-- +goose Down
DROP TABLE quality_idempotency;
DELETE FROM quality_history WHERE source = 'api';
UPDATE quality_templates SET discovered_via = 'poll' WHERE discovered_via = 'api';
ALTER TABLE quality_history DROP CONSTRAINT quality_history_source_check,
    ADD CONSTRAINT quality_history_source_check CHECK (source IN ('webhook', 'poll'));
ALTER TABLE quality_templates DROP CONSTRAINT quality_templates_discovered_via_check,
    ADD CONSTRAINT quality_templates_discovered_via_check CHECK (discovered_via IN ('webhook', 'poll')),
    DROP COLUMN deleted_at, DROP COLUMN parameter_format, DROP COLUMN components;
