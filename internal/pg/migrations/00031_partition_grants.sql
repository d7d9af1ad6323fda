-- +goose Up
-- Row-level security applies to the partitioned parent only: a query that
-- names a partition is checked against the partition's own policies, and
-- partitions have none. The default privileges (00001) give the tenant role
-- every new table, partitions included, so that role could read any
-- tenant's rows from a month or a default partition directly. Access through
-- the parent checks only the parent's privileges, so partitions need none:
-- every partition, existing and future, is withheld from the tenant role.
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
    EXECUTE format('REVOKE ALL ON %I FROM wabsp_tenant', name);
    IF to_regclass(def) IS NOT NULL THEN
        EXECUTE format('WITH moved AS (DELETE FROM %I WHERE %I >= %L AND %I < %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
            def, col, lo, col, hi, name);
    END IF;
    EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, name, lo, hi);
    RETURN true;
END $$;
-- +goose StatementEnd

-- Partitioned indexes are partitions too (relkind 'I', and their leaves
-- 'i'); privileges exist only on tables.
-- +goose StatementBegin
DO $$
DECLARE leaf regclass;
BEGIN
    FOR leaf IN SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relispartition AND c.relkind IN ('r', 'p', 'f') LOOP
        EXECUTE format('REVOKE ALL ON %s FROM wabsp_tenant', leaf);
    END LOOP;
END $$;
-- +goose StatementEnd

-- +goose Down
-- The partitions keep no grants: the tenant role reads through the parents,
-- which is all it ever needed, and granting the months again would reopen
-- the way around row-level security. Months created after this step get the
-- default privileges again, except for tables the tenant role may not read,
-- as before.
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
