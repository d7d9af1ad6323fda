-- +goose Up
-- A number registered through the API is listed by quality monitoring at
-- once, before Meta reports on it: its row says so with discovered_via
-- 'registered', and a webhook or a poll fills in its values later.
ALTER TABLE quality_numbers DROP CONSTRAINT quality_numbers_discovered_via_check,
    ADD CONSTRAINT quality_numbers_discovered_via_check CHECK (discovered_via IN ('webhook', 'poll', 'registered'));

-- The admin message lookup knows only the wamid; the primary key leads with
-- tenant_id, so without this index it scans every tenant's statuses.
-- received_at serves its "first owner" ordering from the index too.
CREATE INDEX message_statuses_wamid_idx ON message_statuses (wamid, received_at);

-- +goose Down
DROP INDEX message_statuses_wamid_idx;
UPDATE quality_numbers SET discovered_via = 'poll' WHERE discovered_via = 'registered';
ALTER TABLE quality_numbers DROP CONSTRAINT quality_numbers_discovered_via_check,
    ADD CONSTRAINT quality_numbers_discovered_via_check CHECK (discovered_via IN ('webhook', 'poll'));
