-- +goose Up
-- Most messages are written three times: at their first status and again
-- when they are delivered and read, seconds to minutes later, by which time
-- the page the first write filled has no room left. Such a rewrite becomes
-- a new tuple on another page with a new entry in every index of the table;
-- one that finds room in its page and changes no indexed column (the status
-- times are not indexed) is a heap-only update, which writes no index entry
-- and whose dead versions are pruned in place. At fill factor 70 the
-- ledger's pages had room for about half of those rewrites and the insights
-- rows', at 100, for none; at 50 nearly all of them fit (BenchmarkApplyLifecycle,
-- docs/PERFORMANCE.md), and the tables come out smaller, not larger, as
-- they no longer leave dead versions behind on full pages.
-- create_month_partition gives new months the default partition's storage
-- parameters; existing months keep the pages they have filled.
-- +goose StatementBegin
DO $$
DECLARE
    part regclass;
BEGIN
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits
        WHERE inhparent IN ('insight_messages'::regclass, 'billing_ledger'::regclass) LOOP
        EXECUTE format('ALTER TABLE %s SET (fillfactor = 50)', part);
    END LOOP;
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
    part regclass;
BEGIN
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'insight_messages'::regclass LOOP
        EXECUTE format('ALTER TABLE %s RESET (fillfactor)', part);
    END LOOP;
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'billing_ledger'::regclass LOOP
        EXECUTE format('ALTER TABLE %s SET (fillfactor = 70)', part);
    END LOOP;
END $$;
-- +goose StatementEnd
