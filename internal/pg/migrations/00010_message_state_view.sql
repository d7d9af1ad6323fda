-- +goose Up
-- A message's current state is derived from its status rows instead of being
-- kept in a table of its own. The table was written on every status, beside
-- message_statuses and the billing and insight rows of the same message; as
-- a view it costs nothing on the intake path, and it cannot disagree with the
-- history it summarises. The rules are unchanged: the state takes the
-- highest-ranked status (failed is terminal), every status's earliest time is
-- kept whatever order the webhooks arrived in, and statuses Meta may add
-- later (rank 0) are stored without moving the state.

-- error_code is the first error's code of a status, typed for the view and
-- for queries that group failures.
ALTER TABLE message_statuses ADD COLUMN error_code integer;
UPDATE message_statuses SET error_code = (errors -> 0 ->> 'code')::integer
WHERE jsonb_typeof(errors -> 0 -> 'code') IN ('number', 'string')
  AND (errors -> 0 ->> 'code') ~ '^[1-9][0-9]{0,8}$';

CREATE FUNCTION message_status_rank(status text) RETURNS smallint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (CASE status WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3
                              WHEN 'played' THEN 4 WHEN 'failed' THEN 5 ELSE 0 END)::smallint $$;

DROP TABLE message_state;

-- security_invoker: the view is read under the reader's row-level security,
-- so a tenant sees its own messages only, as with the table it replaces.
CREATE VIEW message_state WITH (security_invoker = true) AS
SELECT tenant_id, wamid,
    (array_agg(status ORDER BY message_status_rank(status) DESC, status))[1] AS status,
    max(message_status_rank(status)) AS status_rank,
    (array_agg(event_time ORDER BY message_status_rank(status) DESC, status))[1] AS status_at,
    coalesce(max(nullif(phone_number_id, '')), '') AS phone_number_id,
    min(recipient_id) AS recipient_id,
    min(recipient_user_id) AS recipient_user_id,
    min(coalesce(event_time, received_at)) FILTER (WHERE status = 'sent') AS sent_at,
    min(coalesce(event_time, received_at)) FILTER (WHERE status = 'delivered') AS delivered_at,
    min(coalesce(event_time, received_at)) FILTER (WHERE status = 'read') AS read_at,
    min(coalesce(event_time, received_at)) FILTER (WHERE status = 'played') AS played_at,
    min(coalesce(event_time, received_at)) FILTER (WHERE status = 'failed') AS failed_at,
    (array_agg(error_code ORDER BY received_at, status) FILTER (WHERE error_code IS NOT NULL))[1] AS error_code,
    min(received_at) AS first_seen_at,
    max(received_at) AS updated_at
FROM message_statuses
GROUP BY tenant_id, wamid;

-- +goose Down
CREATE TABLE message_state_table (
    tenant_id         uuid NOT NULL,
    wamid             text NOT NULL,
    status            text NOT NULL,
    status_rank       smallint NOT NULL,
    status_at         timestamptz,
    phone_number_id   text NOT NULL DEFAULT '',
    recipient_id      text,
    recipient_user_id text,
    sent_at           timestamptz,
    delivered_at      timestamptz,
    read_at           timestamptz,
    played_at         timestamptz,
    failed_at         timestamptz,
    error_code        integer,
    first_seen_at     timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, wamid)
);
INSERT INTO message_state_table SELECT * FROM message_state;
DROP VIEW message_state;
DROP FUNCTION message_status_rank(text);
ALTER TABLE message_state_table RENAME TO message_state;
ALTER INDEX message_state_table_pkey RENAME TO message_state_pkey;
ALTER TABLE message_state ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON message_state USING (tenant_id = current_tenant());
ALTER TABLE message_statuses DROP COLUMN error_code;
