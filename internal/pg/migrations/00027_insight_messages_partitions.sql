-- +goose Up
-- insight_messages becomes monthly range partitions, so retention drops
-- whole months of it. Like the billing ledger (00026), a row is rewritten as
-- its statuses and annotation arrive, across months, so the unique
-- (tenant_id, wamid) moves to a narrow key table that pins the month the
-- row lives in at first sight (the month of its first status, else of its
-- annotation), written in the same statement as the row.
--
-- The insights keys are their own table rather than the ledger's: insights
-- keep rows for as long as the event retention (and each tenant's shorter
-- one), billing for longer, and each purges its keys with its own months.
CREATE TABLE insight_message_keys (
    tenant_id uuid NOT NULL,
    wamid     text NOT NULL,
    month     date NOT NULL CHECK (extract(day FROM month) = 1),
    PRIMARY KEY (tenant_id, wamid)
);
CREATE INDEX insight_message_keys_month_idx ON insight_message_keys (month);
ALTER TABLE insight_message_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_message_keys USING (tenant_id = current_tenant());

ALTER TABLE insight_messages RENAME TO insight_messages_unpartitioned;
ALTER INDEX insight_messages_pkey RENAME TO insight_messages_unpartitioned_pkey;
ALTER INDEX insight_messages_thread_idx RENAME TO insight_messages_unpartitioned_thread_idx;
ALTER INDEX insight_messages_experiment_idx RENAME TO insight_messages_unpartitioned_experiment_idx;
ALTER INDEX insight_messages_template_idx RENAME TO insight_messages_unpartitioned_template_idx;
ALTER INDEX insight_messages_day_idx RENAME TO insight_messages_unpartitioned_day_idx;
CREATE TABLE insight_messages (
    LIKE insight_messages_unpartitioned INCLUDING DEFAULTS,
    month date NOT NULL,
    PRIMARY KEY (tenant_id, wamid, month)
) PARTITION BY RANGE (month);
CREATE TABLE insight_messages_default PARTITION OF insight_messages DEFAULT;
CREATE INDEX insight_messages_thread_idx ON insight_messages (tenant_id, phone_number_id, contact, resp_at)
    WHERE resp_at IS NOT NULL;
CREATE INDEX insight_messages_experiment_idx ON insight_messages (tenant_id, experiment, contact, at)
    WHERE experiment <> '';
CREATE INDEX insight_messages_template_idx ON insight_messages (tenant_id, template_name)
    WHERE template_name <> '';
CREATE INDEX insight_messages_day_idx ON insight_messages (tenant_id, day);
ALTER TABLE insight_messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_messages USING (tenant_id = current_tenant());

CREATE TEMPORARY TABLE insight_message_months ON COMMIT DROP AS
SELECT tenant_id, wamid,
    date_trunc('month', coalesce(at, annotated_at, now()) AT TIME ZONE 'UTC')::date AS month
FROM insight_messages_unpartitioned;

SELECT create_month_partition('insight_messages', m::date)
FROM generate_series(
    coalesce((SELECT min(month) FROM insight_message_months), date_trunc('month', now() AT TIME ZONE 'UTC')),
    date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months', interval '1 month') AS m;

INSERT INTO insight_message_keys (tenant_id, wamid, month) SELECT tenant_id, wamid, month FROM insight_message_months;
INSERT INTO insight_messages
SELECT m.*, k.month FROM insight_messages_unpartitioned m JOIN insight_message_months k USING (tenant_id, wamid);
DROP TABLE insight_messages_unpartitioned;

-- +goose Down
ALTER TABLE insight_messages RENAME TO insight_messages_partitioned;
ALTER INDEX insight_messages_pkey RENAME TO insight_messages_partitioned_pkey;
ALTER INDEX insight_messages_thread_idx RENAME TO insight_messages_partitioned_thread_idx;
ALTER INDEX insight_messages_experiment_idx RENAME TO insight_messages_partitioned_experiment_idx;
ALTER INDEX insight_messages_template_idx RENAME TO insight_messages_partitioned_template_idx;
ALTER INDEX insight_messages_day_idx RENAME TO insight_messages_partitioned_day_idx;
CREATE TABLE insight_messages (LIKE insight_messages_partitioned INCLUDING DEFAULTS);
ALTER TABLE insight_messages DROP COLUMN month;
INSERT INTO insight_messages SELECT tenant_id, wamid, phone_number_id, contact, at, resp_at, day, hour, sent_at,
    delivered_at, read_at, failed_at, error_code, error_title, replied_at, reply_wamid, annotated_at,
    template_name, template_language, agent, automated, campaign, journey, journey_step, experiment, variant
FROM insight_messages_partitioned;
DROP TABLE insight_messages_partitioned;
ALTER TABLE insight_messages ADD PRIMARY KEY (tenant_id, wamid);
CREATE INDEX insight_messages_thread_idx ON insight_messages (tenant_id, phone_number_id, contact, resp_at)
    WHERE resp_at IS NOT NULL;
CREATE INDEX insight_messages_experiment_idx ON insight_messages (tenant_id, experiment, contact, at)
    WHERE experiment <> '';
CREATE INDEX insight_messages_template_idx ON insight_messages (tenant_id, template_name)
    WHERE template_name <> '';
CREATE INDEX insight_messages_day_idx ON insight_messages (tenant_id, day);
ALTER TABLE insight_messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_messages USING (tenant_id = current_tenant());
DROP TABLE insight_message_keys;
