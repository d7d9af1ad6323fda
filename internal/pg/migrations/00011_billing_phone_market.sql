-- +goose Up
-- Usage by phone number and market (a number's traffic per country) read
-- the full per-number roll-up, every category and pricing type of every
-- day: tens of thousands of rows for a busy tenant's quarter. This roll-up
-- keeps just the two, changes in the same batch as the others and is
-- checked by the same recount.
CREATE TABLE billing_usage_daily_phone_market (
    tenant_id       uuid NOT NULL,
    day             date NOT NULL,
    phone_number_id text COLLATE "C" NOT NULL,
    market          text COLLATE "C" NOT NULL,
    messages        integer NOT NULL DEFAULT 0,
    sent            integer NOT NULL DEFAULT 0,
    delivered       integer NOT NULL DEFAULT 0,
    read            integer NOT NULL DEFAULT 0,
    failed          integer NOT NULL DEFAULT 0,
    charged         integer NOT NULL DEFAULT 0,
    fallback        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day, phone_number_id, market)
);
ALTER TABLE billing_usage_daily_phone_market ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_usage_daily_phone_market USING (tenant_id = current_tenant());

INSERT INTO billing_usage_daily_phone_market (tenant_id, day, phone_number_id, market,
    messages, sent, delivered, read, failed, charged, fallback)
SELECT tenant_id, day, phone_number_id, market, sum(messages), sum(sent), sum(delivered), sum(read),
    sum(failed), sum(charged), sum(fallback)
FROM billing_usage_daily GROUP BY 1, 2, 3, 4 HAVING sum(messages) <> 0;

-- The roll-ups' text keys are ids and Meta's enum values: they compare
-- byte by byte, which is the order usage answers in and several times
-- cheaper for PostgreSQL to sort and index than the database's locale.
ALTER TABLE billing_usage_daily
    ALTER COLUMN phone_number_id TYPE text COLLATE "C", ALTER COLUMN market TYPE text COLLATE "C",
    ALTER COLUMN category TYPE text COLLATE "C", ALTER COLUMN pricing_type TYPE text COLLATE "C",
    ALTER COLUMN rate_category TYPE text COLLATE "C";
ALTER TABLE billing_usage_daily_all
    ALTER COLUMN market TYPE text COLLATE "C", ALTER COLUMN category TYPE text COLLATE "C",
    ALTER COLUMN pricing_type TYPE text COLLATE "C", ALTER COLUMN rate_category TYPE text COLLATE "C";
ALTER TABLE billing_usage_daily_phone
    ALTER COLUMN phone_number_id TYPE text COLLATE "C", ALTER COLUMN category TYPE text COLLATE "C",
    ALTER COLUMN pricing_type TYPE text COLLATE "C", ALTER COLUMN rate_category TYPE text COLLATE "C";

-- +goose Down
DROP TABLE billing_usage_daily_phone_market;
ALTER TABLE billing_usage_daily
    ALTER COLUMN phone_number_id TYPE text COLLATE "default", ALTER COLUMN market TYPE text COLLATE "default",
    ALTER COLUMN category TYPE text COLLATE "default", ALTER COLUMN pricing_type TYPE text COLLATE "default",
    ALTER COLUMN rate_category TYPE text COLLATE "default";
ALTER TABLE billing_usage_daily_all
    ALTER COLUMN market TYPE text COLLATE "default", ALTER COLUMN category TYPE text COLLATE "default",
    ALTER COLUMN pricing_type TYPE text COLLATE "default", ALTER COLUMN rate_category TYPE text COLLATE "default";
ALTER TABLE billing_usage_daily_phone
    ALTER COLUMN phone_number_id TYPE text COLLATE "default", ALTER COLUMN category TYPE text COLLATE "default",
    ALTER COLUMN pricing_type TYPE text COLLATE "default", ALTER COLUMN rate_category TYPE text COLLATE "default";
