-- +goose Up
-- Billing: the per-message ledger, its daily roll-ups, inbound counts, the
-- customer service window, rate cards, tenant pricing and invoices.

-- Reference data shared by every tenant: which rate-card market a calling
-- code belongs to, and what Meta charges. Both are public facts rather than
-- tenant records, so they carry no tenant_id; the tenant role may read them
-- (a tenant sees its effective prices) but never change them.
--
-- One row per calling-code prefix and placement. A prefix's placement in
-- force on a day is its row with the latest effective_from on or before that
-- day. Several countries can share a code (+44: United Kingdom, Guernsey,
-- Jersey); the primary row is the code's main country and is the one prefix
-- matching uses, the others only map ISO country codes.
CREATE TABLE billing_markets (
    calling_code   text NOT NULL CHECK (calling_code ~ '^[1-9][0-9]{0,7}$'),
    iso2           text NOT NULL CHECK (iso2 ~ '^[A-Z]{2}$'),
    effective_from date NOT NULL,
    country        text NOT NULL,
    market         text NOT NULL CHECK (length(market) BETWEEN 1 AND 100),
    is_primary     boolean NOT NULL,
    PRIMARY KEY (calling_code, iso2, effective_from)
);

-- Every load of rates is a version; rows are never updated, so any invoice
-- can be traced to the version that priced it. The idempotency key makes a
-- retried upload return the first result.
CREATE TABLE billing_rate_versions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    note            text NOT NULL DEFAULT '',
    idempotency_key text UNIQUE,
    request_sha256  bytea NOT NULL,
    row_count       integer NOT NULL,
    created_by      uuid,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Rates in millionths of the currency unit per delivered message. A rate set
-- is the rows of one (currency, market, category, effective_from): tier_from 0
-- is the list rate, higher tiers start at a monthly volume. The newest
-- version holding a set replaces the older ones whole. A set is in force
-- from effective_from until effective_to or the next set's effective_from.
CREATE TABLE billing_rates (
    version_id     bigint NOT NULL REFERENCES billing_rate_versions (id),
    currency       char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    market         text NOT NULL,
    category       text NOT NULL,
    effective_from date NOT NULL,
    effective_to   date CHECK (effective_to > effective_from),
    tier_from      bigint NOT NULL DEFAULT 0 CHECK (tier_from >= 0),
    rate_micros    bigint NOT NULL CHECK (rate_micros >= 0),
    verified       boolean NOT NULL DEFAULT false,
    source         text NOT NULL DEFAULT '',
    PRIMARY KEY (currency, market, category, effective_from, tier_from, version_id)
);

REVOKE INSERT, UPDATE, DELETE ON billing_markets, billing_rate_versions, billing_rates FROM wabsp_tenant;
REVOKE ALL ON SEQUENCE billing_rate_versions_id_seq FROM wabsp_tenant;

-- One row per outbound message. category, pricing_type and pricing_model are
-- Meta's values, normalised ('' when no status carried pricing);
-- rate_category is the card column the message is priced from. pricing_rank
-- says where the pricing came from: 1 sent (provisional), 2 delivered or read
-- (what Meta bills). charged is delivered and billable. day is the tenant-zone
-- day of billed_at (delivery when delivered, else sent, failed, first seen),
-- stored so roll-ups and recounts agree even if the tenant's zone changes.
-- Most rows are written twice (sent, then delivered on the same day); free
-- space in each page lets the second write stay a heap-only update.
CREATE TABLE billing_ledger (
    tenant_id         uuid NOT NULL,
    wamid             text NOT NULL,
    phone_number_id   text NOT NULL DEFAULT '',
    recipient         text,
    recipient_user_id text,
    market            text NOT NULL,
    category          text NOT NULL DEFAULT '',
    rate_category     text NOT NULL DEFAULT '',
    pricing_type      text NOT NULL DEFAULT '',
    pricing_model     text NOT NULL DEFAULT '',
    billable          boolean,
    pricing_rank      smallint NOT NULL DEFAULT 0,
    fallback          boolean NOT NULL DEFAULT false,
    charged           boolean NOT NULL DEFAULT false,
    first_seen_at     timestamptz NOT NULL,
    sent_at           timestamptz,
    delivered_at      timestamptz,
    read_at           timestamptz,
    failed_at         timestamptz,
    error_code        integer,
    billed_at         timestamptz NOT NULL,
    day               date NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, wamid)
) WITH (fillfactor = 70);
CREATE INDEX billing_ledger_day_idx ON billing_ledger (tenant_id, day);
ALTER TABLE billing_ledger ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_ledger USING (tenant_id = current_tenant());

-- Daily roll-up of the ledger, changed in the same statement batch as the
-- ledger rows it sums: every ledger change moves its row's contribution from
-- the old key to the new one. Usage reads never touch the ledger. Counts of
-- one key and day fit an integer, and narrow rows are what usage scans.
CREATE TABLE billing_usage_daily (
    tenant_id       uuid NOT NULL,
    day             date NOT NULL,
    phone_number_id text NOT NULL,
    market          text NOT NULL,
    category        text NOT NULL,
    pricing_type    text NOT NULL,
    rate_category   text NOT NULL,
    messages        integer NOT NULL DEFAULT 0,
    sent            integer NOT NULL DEFAULT 0,
    delivered       integer NOT NULL DEFAULT 0,
    read            integer NOT NULL DEFAULT 0,
    failed          integer NOT NULL DEFAULT 0,
    charged         integer NOT NULL DEFAULT 0,
    fallback        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day, phone_number_id, market, category, pricing_type, rate_category)
);
ALTER TABLE billing_usage_daily ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_usage_daily USING (tenant_id = current_tenant());

-- The same roll-up with every phone number of the tenant together: several
-- times fewer rows, so usage not split by number, invoices and estimates
-- read this one. Changed in the same batch as the per-number one.
CREATE TABLE billing_usage_daily_all (
    tenant_id       uuid NOT NULL,
    day             date NOT NULL,
    market          text NOT NULL,
    category        text NOT NULL,
    pricing_type    text NOT NULL,
    rate_category   text NOT NULL,
    messages        integer NOT NULL DEFAULT 0,
    sent            integer NOT NULL DEFAULT 0,
    delivered       integer NOT NULL DEFAULT 0,
    read            integer NOT NULL DEFAULT 0,
    failed          integer NOT NULL DEFAULT 0,
    charged         integer NOT NULL DEFAULT 0,
    fallback        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day, market, category, pricing_type, rate_category)
);
ALTER TABLE billing_usage_daily_all ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_usage_daily_all USING (tenant_id = current_tenant());

-- And per phone number without markets, for usage by number and day.
CREATE TABLE billing_usage_daily_phone (
    tenant_id       uuid NOT NULL,
    day             date NOT NULL,
    phone_number_id text NOT NULL,
    category        text NOT NULL,
    pricing_type    text NOT NULL,
    rate_category   text NOT NULL,
    messages        integer NOT NULL DEFAULT 0,
    sent            integer NOT NULL DEFAULT 0,
    delivered       integer NOT NULL DEFAULT 0,
    read            integer NOT NULL DEFAULT 0,
    failed          integer NOT NULL DEFAULT 0,
    charged         integer NOT NULL DEFAULT 0,
    fallback        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day, phone_number_id, category, pricing_type, rate_category)
);
ALTER TABLE billing_usage_daily_phone ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_usage_daily_phone USING (tenant_id = current_tenant());

-- Inbound user messages as billing counts them, keyed by wamid so a
-- redelivery counts once; referral marks a click-to-WhatsApp entry (the
-- start of a free entry point).
CREATE TABLE billing_inbound (
    tenant_id       uuid NOT NULL,
    wamid           text NOT NULL,
    phone_number_id text NOT NULL,
    sender          text NOT NULL,
    market          text NOT NULL,
    referral        boolean NOT NULL,
    sent_at         timestamptz NOT NULL,
    day             date NOT NULL,
    PRIMARY KEY (tenant_id, wamid)
);
CREATE INDEX billing_inbound_day_idx ON billing_inbound (tenant_id, day);
ALTER TABLE billing_inbound ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_inbound USING (tenant_id = current_tenant());

CREATE TABLE billing_inbound_daily (
    tenant_id       uuid NOT NULL,
    day             date NOT NULL,
    phone_number_id text NOT NULL,
    market          text NOT NULL,
    messages        bigint NOT NULL DEFAULT 0,
    referrals       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day, phone_number_id, market)
);
ALTER TABLE billing_inbound_daily ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_inbound_daily USING (tenant_id = current_tenant());

-- The 24-hour customer service window per business number and contact: open
-- until last_inbound_at + 24 h.
CREATE TABLE billing_service_windows (
    tenant_id       uuid NOT NULL,
    phone_number_id text NOT NULL,
    contact         text NOT NULL,
    last_inbound_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, phone_number_id, contact)
);
ALTER TABLE billing_service_windows ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_service_windows USING (tenant_id = current_tenant());

-- What a tenant pays: a monthly fee, a markup on Meta's cost in basis points
-- (1500 = 15 %), and per market × category prices that replace the markup.
CREATE TABLE billing_plans (
    tenant_id          uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    currency           char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    monthly_fee_micros bigint NOT NULL DEFAULT 0 CHECK (monthly_fee_micros >= 0),
    markup_bp          integer NOT NULL DEFAULT 0 CHECK (markup_bp BETWEEN 0 AND 1000000),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE billing_plans ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_plans USING (tenant_id = current_tenant());

CREATE TABLE billing_price_overrides (
    tenant_id    uuid NOT NULL REFERENCES billing_plans (tenant_id) ON DELETE CASCADE,
    market       text NOT NULL,
    category     text NOT NULL,
    price_micros bigint NOT NULL CHECK (price_micros >= 0),
    PRIMARY KEY (tenant_id, market, category)
);
ALTER TABLE billing_price_overrides ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_price_overrides USING (tenant_id = current_tenant());

-- Final invoices. Drafts are computed on request while the month is open;
-- finalising stores the document once and it never changes again.
CREATE TABLE billing_invoices (
    id                uuid PRIMARY KEY,
    tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    month             date NOT NULL CHECK (extract(day FROM month) = 1),
    currency          char(3) NOT NULL,
    total_micros      bigint NOT NULL,
    meta_cost_micros  bigint NOT NULL,
    document          jsonb NOT NULL,
    finalized_at      timestamptz NOT NULL,
    UNIQUE (tenant_id, month)
);
CREATE INDEX billing_invoices_tenant_idx ON billing_invoices (tenant_id, month DESC);
ALTER TABLE billing_invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_invoices USING (tenant_id = current_tenant());

-- +goose StatementBegin
CREATE FUNCTION billing_invoice_immutable() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'final invoices cannot be changed' USING ERRCODE = 'check_violation';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER billing_invoices_immutable BEFORE UPDATE ON billing_invoices
    FOR EACH ROW EXECUTE FUNCTION billing_invoice_immutable();

-- +goose Down
DROP TABLE billing_invoices, billing_price_overrides, billing_plans, billing_service_windows,
    billing_inbound_daily, billing_inbound, billing_usage_daily_phone, billing_usage_daily_all, billing_usage_daily, billing_ledger,
    billing_rates, billing_rate_versions, billing_markets;
DROP FUNCTION billing_invoice_immutable();
