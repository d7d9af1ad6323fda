-- +goose Up
-- The billing ledger becomes monthly range partitions, like the status
-- tables (00023), so retention drops whole months of it.
--
-- A ledger row is rewritten as a message's statuses arrive, out of order and
-- across months (sent on the 31st, read on the 1st). A partitioned table's
-- keys must contain the partition column, so (tenant_id, wamid) alone can no
-- longer be unique in the ledger itself. billing_ledger_keys holds that key
-- instead: the first write of a message pins the month its row lives in
-- (the month of its first receipt) and every later write goes to that month,
-- so a message is one row, charged once, whichever month its statuses come
-- in. The key row is written in the same statement as the ledger row.

-- create_month_partition now gives a new month the storage parameters of the
-- table's default partition (a partitioned parent cannot carry them), so the
-- ledger's fill factor holds in every month, and withholds it from the tenant
-- role when the parent does (the intake's system tables), which the default
-- privileges would otherwise grant.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION create_month_partition(parent regclass, month_start date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    lo   date := date_trunc('month', month_start)::date;
    hi   date := (date_trunc('month', month_start) + interval '1 month')::date;
    name text := format('%s_p%s', parent::text, to_char(lo, 'YYYYMM'));
    def  text := parent::text || '_default';
    col  text;
    opts text;
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN false;
    END IF;
    SELECT a.attname INTO col FROM pg_partitioned_table p
        JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
        WHERE p.partrelid = parent;
    SELECT array_to_string(c.reloptions, ', ') INTO opts FROM pg_class c WHERE c.oid = to_regclass(def);
    EXECUTE format('CREATE TABLE %I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS)%s', name, parent,
        CASE WHEN coalesce(opts, '') <> '' THEN format(' WITH (%s)', opts) ELSE '' END);
    IF NOT has_table_privilege('wabsp_tenant', parent, 'SELECT') THEN
        EXECUTE format('REVOKE ALL ON %I FROM wabsp_tenant', name);
    END IF;
    IF to_regclass(def) IS NOT NULL THEN
        EXECUTE format('WITH moved AS (DELETE FROM %I WHERE %I >= %L AND %I < %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
            def, col, lo, col, hi, name);
    END IF;
    EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, name, lo, hi);
    RETURN true;
END $$;
-- +goose StatementEnd

-- One narrow row per message: the month its ledger row lives in. Retention
-- deletes a month's keys before it drops the month (month_idx).
CREATE TABLE billing_ledger_keys (
    tenant_id uuid NOT NULL,
    wamid     text NOT NULL,
    month     date NOT NULL CHECK (extract(day FROM month) = 1),
    PRIMARY KEY (tenant_id, wamid)
);
CREATE INDEX billing_ledger_keys_month_idx ON billing_ledger_keys (month);
ALTER TABLE billing_ledger_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_ledger_keys USING (tenant_id = current_tenant());

ALTER TABLE billing_ledger RENAME TO billing_ledger_unpartitioned;
ALTER INDEX billing_ledger_pkey RENAME TO billing_ledger_unpartitioned_pkey;
ALTER INDEX billing_ledger_day_idx RENAME TO billing_ledger_unpartitioned_day_idx;
-- The same columns as before, plus the pinned month.
CREATE TABLE billing_ledger (
    LIKE billing_ledger_unpartitioned INCLUDING DEFAULTS,
    month date NOT NULL,
    PRIMARY KEY (tenant_id, wamid, month)
) PARTITION BY RANGE (month);
-- Most rows are written twice (sent, then delivered); free space in each
-- page keeps the second write a heap-only update. Months copy this.
CREATE TABLE billing_ledger_default PARTITION OF billing_ledger DEFAULT WITH (fillfactor = 70);
CREATE INDEX billing_ledger_day_idx ON billing_ledger (tenant_id, day);
ALTER TABLE billing_ledger ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_ledger USING (tenant_id = current_tenant());

SELECT create_month_partition('billing_ledger', m::date)
FROM generate_series(
    date_trunc('month', coalesce((SELECT min(first_seen_at) FROM billing_ledger_unpartitioned), now()) AT TIME ZONE 'UTC'),
    date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months', interval '1 month') AS m;

INSERT INTO billing_ledger_keys (tenant_id, wamid, month)
SELECT tenant_id, wamid, date_trunc('month', first_seen_at AT TIME ZONE 'UTC')::date FROM billing_ledger_unpartitioned;
INSERT INTO billing_ledger (tenant_id, wamid, phone_number_id, recipient, recipient_user_id, market, category,
    rate_category, pricing_type, pricing_model, billable, pricing_rank, fallback, charged, first_seen_at,
    sent_at, delivered_at, read_at, failed_at, error_code, billed_at, day, updated_at, month)
SELECT tenant_id, wamid, phone_number_id, recipient, recipient_user_id, market, category,
    rate_category, pricing_type, pricing_model, billable, pricing_rank, fallback, charged, first_seen_at,
    sent_at, delivered_at, read_at, failed_at, error_code, billed_at, day, updated_at,
    date_trunc('month', first_seen_at AT TIME ZONE 'UTC')::date
FROM billing_ledger_unpartitioned;
DROP TABLE billing_ledger_unpartitioned;

-- +goose Down
ALTER TABLE billing_ledger RENAME TO billing_ledger_partitioned;
ALTER INDEX billing_ledger_pkey RENAME TO billing_ledger_partitioned_pkey;
ALTER INDEX billing_ledger_day_idx RENAME TO billing_ledger_partitioned_day_idx;
CREATE TABLE billing_ledger (LIKE billing_ledger_partitioned INCLUDING DEFAULTS) WITH (fillfactor = 70);
ALTER TABLE billing_ledger DROP COLUMN month;
INSERT INTO billing_ledger SELECT tenant_id, wamid, phone_number_id, recipient, recipient_user_id, market, category,
    rate_category, pricing_type, pricing_model, billable, pricing_rank, fallback, charged, first_seen_at,
    sent_at, delivered_at, read_at, failed_at, error_code, billed_at, day, updated_at
FROM billing_ledger_partitioned;
DROP TABLE billing_ledger_partitioned;
ALTER TABLE billing_ledger ADD PRIMARY KEY (tenant_id, wamid);
CREATE INDEX billing_ledger_day_idx ON billing_ledger (tenant_id, day);
ALTER TABLE billing_ledger ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_ledger USING (tenant_id = current_tenant());
DROP TABLE billing_ledger_keys;
-- create_month_partition keeps its additions: for a table without storage
-- parameters that the tenant role may read it does what it did before.
