-- +goose Up
-- 00023 rebuilt message_statuses as monthly partitions and dropped the old
-- table with the wamid index 00017 gave it. The admin lookup by wamid alone
-- needs it on every month again; an index on the partitioned table is
-- created on each partition, including the months made later.
CREATE INDEX IF NOT EXISTS message_statuses_wamid_idx ON message_statuses (wamid, received_at);

-- +goose Down
DROP INDEX IF EXISTS message_statuses_wamid_idx;
