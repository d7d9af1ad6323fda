-- +goose Up
-- Every tenant-owned table's primary key and unique constraints now include
-- tenant_id, so the schema can be distributed on tenant_id (docs/scaling.md):
-- a sharded table can only enforce a key that contains its distribution
-- column. Foreign keys between tenant tables carry tenant_id for the same
-- reason (Citus co-locates both sides). Identity columns stay unique in
-- practice; tables read by id alone (the outbound pump, delivery workers)
-- keep a plain index on it.

ALTER TABLE insight_experiments DROP CONSTRAINT insight_experiments_journey_id_fkey;
ALTER TABLE insight_journey_hits DROP CONSTRAINT insight_journey_hits_journey_id_fkey;
ALTER TABLE insight_journey_progress DROP CONSTRAINT insight_journey_progress_journey_id_fkey;
ALTER TABLE insight_journey_daily DROP CONSTRAINT insight_journey_daily_journey_id_fkey;
ALTER TABLE insight_journey_gaps DROP CONSTRAINT insight_journey_gaps_journey_id_fkey;
ALTER TABLE insight_journey_gap_tiles DROP CONSTRAINT insight_journey_gap_tiles_journey_id_fkey;
ALTER TABLE webhook_attempts DROP CONSTRAINT webhook_attempts_delivery_id_fkey;

ALTER TABLE insight_journeys DROP CONSTRAINT insight_journeys_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE insight_experiments DROP CONSTRAINT insight_experiments_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE billing_invoices DROP CONSTRAINT billing_invoices_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE contact_imports DROP CONSTRAINT contact_imports_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE contacts DROP CONSTRAINT contacts_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE quality_alerts DROP CONSTRAINT quality_alerts_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE quality_numbers DROP CONSTRAINT quality_numbers_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE consent_ledger DROP CONSTRAINT consent_ledger_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE domain_events DROP CONSTRAINT domain_events_pkey, ADD PRIMARY KEY (tenant_id, id);
CREATE INDEX domain_events_id_idx ON domain_events (id);
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_pkey, ADD PRIMARY KEY (tenant_id, id);
CREATE INDEX webhook_deliveries_id_idx ON webhook_deliveries (id);
DROP INDEX webhook_deliveries_event_idx;
-- An event belongs to one tenant, so adding tenant_id keeps the fan-out
-- exactly-once per subscription.
CREATE UNIQUE INDEX webhook_deliveries_event_idx ON webhook_deliveries (tenant_id, subscription_id, event_id)
    WHERE origin = 'event';
ALTER TABLE webhook_attempts DROP CONSTRAINT webhook_attempts_pkey, ADD PRIMARY KEY (tenant_id, delivery_id, attempt);

ALTER TABLE insight_experiments ADD CONSTRAINT insight_experiments_journey_id_fkey
    FOREIGN KEY (tenant_id, journey_id) REFERENCES insight_journeys (tenant_id, id) ON DELETE SET NULL (journey_id);
ALTER TABLE insight_journey_hits ADD CONSTRAINT insight_journey_hits_journey_id_fkey
    FOREIGN KEY (tenant_id, journey_id) REFERENCES insight_journeys (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE insight_journey_progress ADD CONSTRAINT insight_journey_progress_journey_id_fkey
    FOREIGN KEY (tenant_id, journey_id) REFERENCES insight_journeys (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE insight_journey_daily ADD CONSTRAINT insight_journey_daily_journey_id_fkey
    FOREIGN KEY (tenant_id, journey_id) REFERENCES insight_journeys (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE insight_journey_gaps ADD CONSTRAINT insight_journey_gaps_journey_id_fkey
    FOREIGN KEY (tenant_id, journey_id) REFERENCES insight_journeys (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE insight_journey_gap_tiles ADD CONSTRAINT insight_journey_gap_tiles_journey_id_fkey
    FOREIGN KEY (tenant_id, journey_id) REFERENCES insight_journeys (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE webhook_attempts ADD CONSTRAINT webhook_attempts_delivery_id_fkey
    FOREIGN KEY (tenant_id, delivery_id) REFERENCES webhook_deliveries (tenant_id, id) ON DELETE CASCADE;

-- +goose Down
ALTER TABLE insight_experiments DROP CONSTRAINT insight_experiments_journey_id_fkey;
ALTER TABLE insight_journey_hits DROP CONSTRAINT insight_journey_hits_journey_id_fkey;
ALTER TABLE insight_journey_progress DROP CONSTRAINT insight_journey_progress_journey_id_fkey;
ALTER TABLE insight_journey_daily DROP CONSTRAINT insight_journey_daily_journey_id_fkey;
ALTER TABLE insight_journey_gaps DROP CONSTRAINT insight_journey_gaps_journey_id_fkey;
ALTER TABLE insight_journey_gap_tiles DROP CONSTRAINT insight_journey_gap_tiles_journey_id_fkey;
ALTER TABLE webhook_attempts DROP CONSTRAINT webhook_attempts_delivery_id_fkey;

ALTER TABLE webhook_attempts DROP CONSTRAINT webhook_attempts_pkey, ADD PRIMARY KEY (delivery_id, attempt);
DROP INDEX webhook_deliveries_event_idx;
CREATE UNIQUE INDEX webhook_deliveries_event_idx ON webhook_deliveries (subscription_id, event_id)
    WHERE origin = 'event';
DROP INDEX webhook_deliveries_id_idx;
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_pkey, ADD PRIMARY KEY (id);
DROP INDEX domain_events_id_idx;
ALTER TABLE domain_events DROP CONSTRAINT domain_events_pkey, ADD PRIMARY KEY (id);
ALTER TABLE consent_ledger DROP CONSTRAINT consent_ledger_pkey, ADD PRIMARY KEY (id);
ALTER TABLE quality_numbers DROP CONSTRAINT quality_numbers_pkey, ADD PRIMARY KEY (id);
ALTER TABLE quality_alerts DROP CONSTRAINT quality_alerts_pkey, ADD PRIMARY KEY (id);
ALTER TABLE contacts DROP CONSTRAINT contacts_pkey, ADD PRIMARY KEY (id);
ALTER TABLE contact_imports DROP CONSTRAINT contact_imports_pkey, ADD PRIMARY KEY (id);
ALTER TABLE billing_invoices DROP CONSTRAINT billing_invoices_pkey, ADD PRIMARY KEY (id);
ALTER TABLE insight_experiments DROP CONSTRAINT insight_experiments_pkey, ADD PRIMARY KEY (id);
ALTER TABLE insight_journeys DROP CONSTRAINT insight_journeys_pkey, ADD PRIMARY KEY (id);

ALTER TABLE insight_experiments ADD CONSTRAINT insight_experiments_journey_id_fkey
    FOREIGN KEY (journey_id) REFERENCES insight_journeys (id) ON DELETE SET NULL;
ALTER TABLE insight_journey_hits ADD CONSTRAINT insight_journey_hits_journey_id_fkey
    FOREIGN KEY (journey_id) REFERENCES insight_journeys (id) ON DELETE CASCADE;
ALTER TABLE insight_journey_progress ADD CONSTRAINT insight_journey_progress_journey_id_fkey
    FOREIGN KEY (journey_id) REFERENCES insight_journeys (id) ON DELETE CASCADE;
ALTER TABLE insight_journey_daily ADD CONSTRAINT insight_journey_daily_journey_id_fkey
    FOREIGN KEY (journey_id) REFERENCES insight_journeys (id) ON DELETE CASCADE;
ALTER TABLE insight_journey_gaps ADD CONSTRAINT insight_journey_gaps_journey_id_fkey
    FOREIGN KEY (journey_id) REFERENCES insight_journeys (id) ON DELETE CASCADE;
ALTER TABLE insight_journey_gap_tiles ADD CONSTRAINT insight_journey_gap_tiles_journey_id_fkey
    FOREIGN KEY (journey_id) REFERENCES insight_journeys (id) ON DELETE CASCADE;
ALTER TABLE webhook_attempts ADD CONSTRAINT webhook_attempts_delivery_id_fkey
    FOREIGN KEY (delivery_id) REFERENCES webhook_deliveries (id) ON DELETE CASCADE;
