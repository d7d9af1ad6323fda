-- +goose Up
-- webhook_archive becomes monthly range partitions on received_at, so the
-- archive retention drops whole months of bodies instead of deleting them
-- row by row.
--
-- Redeliveries are dropped by the SHA-256 of the body, which must be unique
-- across months, and a partitioned table's keys must contain its partition
-- column. webhook_archive_digests holds that key instead: one narrow row per
-- body, pointing at the archive row (id and received_at, so the lookup
-- probes one month). It is written in the same statement as the body.
-- Bodies still pending when their month is dropped are carried over into
-- the default partition, and their digests stay.
CREATE TABLE webhook_archive_digests (
    body_sha256 bytea PRIMARY KEY CHECK (length(body_sha256) = 32),
    archive_id  bigint NOT NULL,
    received_at timestamptz NOT NULL
);
-- Receipt times follow insertion order; a month's digests are found by
-- block range at a fraction of a b-tree's upkeep.
CREATE INDEX webhook_archive_digests_received_idx ON webhook_archive_digests
    USING brin (received_at) WITH (autosummarize = on);

-- Orphans referenced the archive id, which is no longer unique on its own;
-- purging the archive deletes them in the same statements as the bodies.
ALTER TABLE webhook_orphans DROP CONSTRAINT webhook_orphans_archive_id_fkey;

ALTER TABLE webhook_archive RENAME TO webhook_archive_unpartitioned;
ALTER SEQUENCE webhook_archive_id_seq RENAME TO webhook_archive_unpartitioned_id_seq;
ALTER INDEX webhook_archive_pkey RENAME TO webhook_archive_unpartitioned_pkey;
ALTER INDEX webhook_archive_body_sha256_key RENAME TO webhook_archive_unpartitioned_body_sha256_key;
ALTER INDEX webhook_archive_received_idx RENAME TO webhook_archive_unpartitioned_received_idx;
ALTER INDEX webhook_archive_poison_idx RENAME TO webhook_archive_unpartitioned_poison_idx;
CREATE TABLE webhook_archive (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    body_sha256 bytea NOT NULL CHECK (length(body_sha256) = 32),
    received_at timestamptz NOT NULL,
    app_id      text NOT NULL DEFAULT '',
    size        integer NOT NULL CHECK (size >= 0),
    body        bytea NOT NULL,
    error       text,
    archived_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, received_at)
) PARTITION BY RANGE (received_at);
CREATE TABLE webhook_archive_default PARTITION OF webhook_archive DEFAULT;
CREATE INDEX webhook_archive_received_idx ON webhook_archive USING brin (received_at) WITH (autosummarize = on);
CREATE INDEX webhook_archive_poison_idx ON webhook_archive (id DESC) WHERE error IS NOT NULL;

SELECT create_month_partition('webhook_archive', m::date)
FROM generate_series(
    date_trunc('month', coalesce((SELECT min(received_at) FROM webhook_archive_unpartitioned), now()) AT TIME ZONE 'UTC'),
    date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months', interval '1 month') AS m;

INSERT INTO webhook_archive (id, body_sha256, received_at, app_id, size, body, error, archived_at)
OVERRIDING SYSTEM VALUE
SELECT id, body_sha256, received_at, app_id, size, body, error, archived_at FROM webhook_archive_unpartitioned;
INSERT INTO webhook_archive_digests (body_sha256, archive_id, received_at)
SELECT body_sha256, id, received_at FROM webhook_archive_unpartitioned;
SELECT setval(pg_get_serial_sequence('webhook_archive', 'id'),
    greatest((SELECT max(id) FROM webhook_archive_unpartitioned), 1));
DROP TABLE webhook_archive_unpartitioned;

REVOKE ALL ON webhook_archive, webhook_archive_default, webhook_archive_digests FROM wabsp_tenant;
REVOKE ALL ON SEQUENCE webhook_archive_id_seq FROM wabsp_tenant;
-- +goose StatementBegin
DO $$
DECLARE leaf regclass;
BEGIN
    FOR leaf IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'webhook_archive'::regclass LOOP
        EXECUTE format('REVOKE ALL ON %s FROM wabsp_tenant', leaf);
    END LOOP;
END $$;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE webhook_archive RENAME TO webhook_archive_partitioned;
ALTER SEQUENCE webhook_archive_id_seq RENAME TO webhook_archive_partitioned_id_seq;
ALTER INDEX webhook_archive_pkey RENAME TO webhook_archive_partitioned_pkey;
ALTER INDEX webhook_archive_received_idx RENAME TO webhook_archive_partitioned_received_idx;
ALTER INDEX webhook_archive_poison_idx RENAME TO webhook_archive_partitioned_poison_idx;
CREATE TABLE webhook_archive (LIKE webhook_archive_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE webhook_archive ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY,
    ADD PRIMARY KEY (id), ADD UNIQUE (body_sha256);
INSERT INTO webhook_archive OVERRIDING SYSTEM VALUE SELECT * FROM webhook_archive_partitioned;
SELECT setval(pg_get_serial_sequence('webhook_archive', 'id'),
    greatest((SELECT max(id) FROM webhook_archive_partitioned), 1));
DROP TABLE webhook_archive_partitioned;
CREATE INDEX webhook_archive_received_idx ON webhook_archive USING brin (received_at) WITH (autosummarize = on);
CREATE INDEX webhook_archive_poison_idx ON webhook_archive (id DESC) WHERE error IS NOT NULL;
DELETE FROM webhook_orphans o WHERE NOT EXISTS (SELECT 1 FROM webhook_archive a WHERE a.id = o.archive_id);
ALTER TABLE webhook_orphans ADD CONSTRAINT webhook_orphans_archive_id_fkey
    FOREIGN KEY (archive_id) REFERENCES webhook_archive (id) ON DELETE CASCADE;
DROP TABLE webhook_archive_digests;
REVOKE ALL ON webhook_archive FROM wabsp_tenant;
REVOKE ALL ON SEQUENCE webhook_archive_id_seq FROM wabsp_tenant;
