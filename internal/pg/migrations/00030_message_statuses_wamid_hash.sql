-- +goose Up
-- The admin lookup by wamid alone is the only reader of this index, and
-- every status pays for it on the busiest insert path. A btree entry holds
-- the whole wamid (about 60 bytes) and received_at; a hash entry holds a
-- 4-byte hash, so each status writes less to the index and to the WAL. The
-- lookup reads the few rows of one wamid and sorts them by received_at.
DROP INDEX IF EXISTS message_statuses_wamid_idx;
CREATE INDEX message_statuses_wamid_idx ON message_statuses USING hash (wamid);

-- +goose Down
DROP INDEX IF EXISTS message_statuses_wamid_idx;
CREATE INDEX message_statuses_wamid_idx ON message_statuses (wamid, received_at);
