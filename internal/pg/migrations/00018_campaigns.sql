-- +goose Up
-- Campaigns: one template sent to many recipients. The campaign and its
-- recipients are stored in the request's transaction; a background task then
-- turns recipients into ordinary sends in batches, so each goes through the
-- same guards, pacer and delivery task as a single send. A recipient's stage
-- says how far that went: pending (no send yet), created (its send is
-- committed, the delivery task may not be queued yet), done (handed over) or
-- cancelled (the campaign was cancelled before its send was made). The key
-- (tenant_id, campaign_id, recipient) is what makes a re-run of the expansion
-- create no second send for anyone.
CREATE TABLE campaigns (
    tenant_id         uuid NOT NULL,
    id                uuid NOT NULL,
    name              text NOT NULL,
    label             text NOT NULL,
    phone_number_id   text NOT NULL,
    template          jsonb NOT NULL,
    state             text NOT NULL CHECK (state IN ('expanding', 'expanded', 'cancelled')),
    total             integer NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    expanded_at       timestamptz,
    cancelled_at      timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX campaigns_created_idx ON campaigns (tenant_id, created_at DESC, id DESC);
ALTER TABLE campaigns ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON campaigns USING (tenant_id = current_tenant());

CREATE TABLE campaign_recipients (
    tenant_id   uuid NOT NULL,
    campaign_id uuid NOT NULL,
    recipient   text NOT NULL,
    position    integer NOT NULL,
    parameters  jsonb NOT NULL DEFAULT '[]',
    stage       text NOT NULL DEFAULT 'pending' CHECK (stage IN ('pending', 'created', 'done', 'cancelled')),
    send_id     uuid,
    PRIMARY KEY (tenant_id, campaign_id, recipient),
    UNIQUE (tenant_id, campaign_id, position),
    FOREIGN KEY (tenant_id, campaign_id) REFERENCES campaigns (tenant_id, id) ON DELETE CASCADE
);
-- The expansion reads the recipients still to hand over, in request order.
CREATE INDEX campaign_recipients_open_idx ON campaign_recipients (tenant_id, campaign_id, stage, position)
    WHERE stage IN ('pending', 'created');
ALTER TABLE campaign_recipients ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON campaign_recipients USING (tenant_id = current_tenant());

-- A queued send of a cancelled campaign is cancelled: the delivery task
-- leaves it alone, and it never reaches Meta.
ALTER TABLE sends DROP CONSTRAINT sends_state_check,
    ADD CONSTRAINT sends_state_check CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'refused', 'cancelled'));

-- +goose Down
UPDATE sends SET state = 'failed', error_message = 'cancelled' WHERE state = 'cancelled';
ALTER TABLE sends DROP CONSTRAINT sends_state_check,
    ADD CONSTRAINT sends_state_check CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'refused'));
DROP TABLE campaign_recipients, campaigns;
