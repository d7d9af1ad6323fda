-- +goose Up
-- Insights: what the business annotates about its outbound messages, the
-- per-message and per-turn facts derived from Meta's webhooks, and the
-- roll-ups every insight read is served from. All rows derive from the raw
-- intake tables plus annotations, journeys, experiments and reported events;
-- the roll-ups change in the same transaction as the rows they sum, and a
-- recount from the rows must always agree with them.

-- Optional per-tenant settings. business_hours is a list of weekly
-- intervals in the tenant's zone; NULL means response times are only kept on
-- the wall clock.
CREATE TABLE insight_settings (
    tenant_id      uuid PRIMARY KEY,
    business_hours jsonb,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE insight_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_settings USING (tenant_id = current_tenant());

-- One row per outbound message: Meta's status times (the earliest of each),
-- the reply linked through context.id, the failure, and the business's
-- annotation, which may arrive before or after the statuses. at is the
-- earliest status time of any kind and places the message in the roll-ups
-- (day and hour in the tenant's zone, fixed when at is); resp_at is the
-- earliest of sent/delivered/read, the moment the business answered a turn.
-- A row with only an annotation has no at and counts nowhere yet.
CREATE TABLE insight_messages (
    tenant_id         uuid NOT NULL,
    wamid             text NOT NULL,
    phone_number_id   text NOT NULL DEFAULT '',
    contact           text NOT NULL DEFAULT '',
    at                timestamptz,
    resp_at           timestamptz,
    day               date,
    hour              smallint,
    sent_at           timestamptz,
    delivered_at      timestamptz,
    read_at           timestamptz,
    failed_at         timestamptz,
    error_code        integer,
    error_title       text NOT NULL DEFAULT '',
    replied_at        timestamptz,
    reply_wamid       text,
    annotated_at      timestamptz,
    template_name     text NOT NULL DEFAULT '',
    template_language text NOT NULL DEFAULT '',
    agent             text NOT NULL DEFAULT '',
    automated         boolean NOT NULL DEFAULT false,
    campaign          text NOT NULL DEFAULT '',
    journey           text NOT NULL DEFAULT '',
    journey_step      text NOT NULL DEFAULT '',
    experiment        text NOT NULL DEFAULT '',
    variant           text NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, wamid)
);
CREATE INDEX insight_messages_thread_idx ON insight_messages (tenant_id, phone_number_id, contact, resp_at)
    WHERE resp_at IS NOT NULL;
CREATE INDEX insight_messages_experiment_idx ON insight_messages (tenant_id, experiment, contact, at)
    WHERE experiment <> '';
CREATE INDEX insight_messages_template_idx ON insight_messages (tenant_id, template_name)
    WHERE template_name <> '';
ALTER TABLE insight_messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_messages USING (tenant_id = current_tenant());

-- Inbound user messages as insights reads them: who, when (Meta's time),
-- which message they answer and which button they pressed.
CREATE TABLE insight_inbound (
    tenant_id       uuid NOT NULL,
    wamid           text NOT NULL,
    phone_number_id text NOT NULL DEFAULT '',
    contact         text NOT NULL,
    at              timestamptz NOT NULL,
    day             date NOT NULL,
    hour            smallint NOT NULL,
    context_id      text,
    button_payload  text,
    PRIMARY KEY (tenant_id, wamid)
);
CREATE INDEX insight_inbound_thread_idx ON insight_inbound (tenant_id, phone_number_id, contact, at);
CREATE INDEX insight_inbound_context_idx ON insight_inbound (tenant_id, context_id) WHERE context_id IS NOT NULL;
CREATE INDEX insight_inbound_button_idx ON insight_inbound (tenant_id, button_payload) WHERE button_payload IS NOT NULL;
ALTER TABLE insight_inbound ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_inbound USING (tenant_id = current_tenant());

-- Customer turns of a thread (one business number, one contact): a turn
-- starts with an inbound message while nothing is waiting for an answer and
-- ends with the business's next message. first marks the turn that opens a
-- conversation (no inbound message in the 24 hours before it). seconds is
-- the wall-clock response time, business_seconds the part of it inside the
-- tenant's business hours; both NULL while unanswered. bucket and
-- business_bucket are their histogram buckets. agent and automated come
-- from the answering message's annotation.
CREATE TABLE insight_turns (
    tenant_id        uuid NOT NULL,
    phone_number_id  text NOT NULL,
    contact          text NOT NULL,
    started_at       timestamptz NOT NULL,
    inbound_wamid    text NOT NULL,
    day              date NOT NULL,
    first            boolean NOT NULL,
    responded_at     timestamptz,
    response_wamid   text,
    seconds          integer,
    bucket           integer,
    business_seconds integer,
    business_bucket  integer,
    agent            text NOT NULL DEFAULT '',
    automated        boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, phone_number_id, contact, started_at)
);
-- Percentile reads find the bucket holding a rank in the roll-ups, then
-- read that bucket's turns in the range through these (index-only) scans to
-- find the exact value.
CREATE INDEX insight_turns_bucket_idx ON insight_turns (tenant_id, bucket, day)
    INCLUDE (seconds, first, phone_number_id, agent, automated) WHERE bucket IS NOT NULL;
CREATE INDEX insight_turns_business_idx ON insight_turns (tenant_id, business_bucket, day)
    INCLUDE (business_seconds, first, phone_number_id, agent, automated) WHERE business_bucket IS NOT NULL;
ALTER TABLE insight_turns ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_turns USING (tenant_id = current_tenant());

-- Funnel roll-up of insight_messages by tenant-zone day of at.
CREATE TABLE insight_funnel_daily (
    tenant_id       uuid NOT NULL,
    day             date NOT NULL,
    phone_number_id text NOT NULL,
    template_name   text NOT NULL,
    campaign        text NOT NULL,
    messages        bigint NOT NULL DEFAULT 0,
    sent            bigint NOT NULL DEFAULT 0,
    delivered       bigint NOT NULL DEFAULT 0,
    read            bigint NOT NULL DEFAULT 0,
    replied         bigint NOT NULL DEFAULT 0,
    failed          bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day, phone_number_id, template_name, campaign)
);
ALTER TABLE insight_funnel_daily ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_funnel_daily USING (tenant_id = current_tenant());

-- Failed messages by Meta error code and title.
CREATE TABLE insight_failures_daily (
    tenant_id       uuid NOT NULL,
    day             date NOT NULL,
    phone_number_id text NOT NULL,
    template_name   text NOT NULL,
    campaign        text NOT NULL,
    error_code      integer NOT NULL,
    error_title     text NOT NULL,
    failed          bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day, phone_number_id, template_name, campaign, error_code, error_title)
);
ALTER TABLE insight_failures_daily ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_failures_daily USING (tenant_id = current_tenant());

-- Messages per tenant-zone day and hour, inbound ('in') and outbound ('out').
CREATE TABLE insight_hourly (
    tenant_id       uuid NOT NULL,
    day             date NOT NULL,
    hour            smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
    phone_number_id text NOT NULL,
    direction       text NOT NULL CHECK (direction IN ('in', 'out')),
    messages        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day, hour, phone_number_id, direction)
);
ALTER TABLE insight_hourly ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_hourly USING (tenant_id = current_tenant());

-- Response-time histograms of insight_turns by the turn's start day, kept
-- in tiles of three grains ('d' a day, 'w' an ISO week, 'm' a month, each
-- beginning at start) so a range of days is read as a few months and weeks
-- plus the days at its edges. bucket is the lower bound of a value range two
-- significant digits wide (exact below 100 s); -1 counts unanswered turns
-- (on the wall clock only). clock is 'wall' or 'business'. The same
-- histogram is kept four times: without dimensions (totals and periods), by
-- number, by agent and automation, and by all three, so a read scans only
-- the dimensions it groups or filters by. The counts ride in the primary key
-- index, so reads are index-only scans.
CREATE TABLE insight_response_tiles (
    tenant_id uuid NOT NULL,
    grain     text NOT NULL CHECK (grain IN ('d', 'w', 'm')),
    start     date NOT NULL,
    clock     text NOT NULL CHECK (clock IN ('wall', 'business')),
    first     boolean NOT NULL,
    bucket    integer NOT NULL,
    turns     bigint NOT NULL DEFAULT 0,
    seconds   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, grain, start, clock, first, bucket) INCLUDE (turns, seconds)
);
ALTER TABLE insight_response_tiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_response_tiles USING (tenant_id = current_tenant());

CREATE TABLE insight_response_phones (
    tenant_id       uuid NOT NULL,
    grain           text NOT NULL CHECK (grain IN ('d', 'w', 'm')),
    start           date NOT NULL,
    clock           text NOT NULL CHECK (clock IN ('wall', 'business')),
    first           boolean NOT NULL,
    phone_number_id text NOT NULL,
    bucket          integer NOT NULL,
    turns           bigint NOT NULL DEFAULT 0,
    seconds         bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, grain, start, clock, first, phone_number_id, bucket) INCLUDE (turns, seconds)
);
ALTER TABLE insight_response_phones ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_response_phones USING (tenant_id = current_tenant());

CREATE TABLE insight_response_agents (
    tenant_id uuid NOT NULL,
    grain     text NOT NULL CHECK (grain IN ('d', 'w', 'm')),
    start     date NOT NULL,
    clock     text NOT NULL CHECK (clock IN ('wall', 'business')),
    first     boolean NOT NULL,
    agent     text NOT NULL,
    automated boolean NOT NULL,
    bucket    integer NOT NULL,
    turns     bigint NOT NULL DEFAULT 0,
    seconds   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, grain, start, clock, first, agent, automated, bucket) INCLUDE (turns, seconds)
);
ALTER TABLE insight_response_agents ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_response_agents USING (tenant_id = current_tenant());

CREATE TABLE insight_response_dims (
    tenant_id       uuid NOT NULL,
    grain           text NOT NULL CHECK (grain IN ('d', 'w', 'm')),
    start           date NOT NULL,
    clock           text NOT NULL CHECK (clock IN ('wall', 'business')),
    first           boolean NOT NULL,
    phone_number_id text NOT NULL,
    agent           text NOT NULL,
    automated       boolean NOT NULL,
    bucket          integer NOT NULL,
    turns           bigint NOT NULL DEFAULT 0,
    seconds         bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, grain, start, clock, first, phone_number_id, agent, automated, bucket)
        INCLUDE (turns, seconds)
);
ALTER TABLE insight_response_dims ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_response_dims USING (tenant_id = current_tenant());

-- Contacts as insights counts them: the first time each wrote in.
CREATE TABLE insight_contacts (
    tenant_id        uuid NOT NULL,
    contact          text NOT NULL,
    first_inbound_at timestamptz NOT NULL,
    first_day        date NOT NULL,
    PRIMARY KEY (tenant_id, contact)
);
ALTER TABLE insight_contacts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_contacts USING (tenant_id = current_tenant());

-- Which contacts wrote in during each day, ISO week and month (grain d, w,
-- m; period is the period's first day), and the per-period counts: active
-- contacts and those whose first message fell in the period.
CREATE TABLE insight_contact_periods (
    tenant_id uuid NOT NULL,
    grain     text NOT NULL CHECK (grain IN ('d', 'w', 'm')),
    period    date NOT NULL,
    contact   text NOT NULL,
    PRIMARY KEY (tenant_id, grain, period, contact)
);
ALTER TABLE insight_contact_periods ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_contact_periods USING (tenant_id = current_tenant());

CREATE TABLE insight_contact_counts (
    tenant_id   uuid NOT NULL,
    grain       text NOT NULL,
    period      date NOT NULL,
    active      bigint NOT NULL DEFAULT 0,
    new         bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, grain, period)
);
ALTER TABLE insight_contact_counts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_contact_counts USING (tenant_id = current_tenant());

-- Events the tenant reports through the API (a purchase, a form sent), for
-- journey steps Meta never sees.
CREATE TABLE insight_events (
    tenant_id   uuid NOT NULL,
    id          text NOT NULL,
    contact     text NOT NULL,
    name        text NOT NULL,
    at          timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX insight_events_name_idx ON insight_events (tenant_id, name);
ALTER TABLE insight_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_events USING (tenant_id = current_tenant());

-- Journeys: ordered steps, each matched by annotation, template name, button
-- payload or reported event. Steps are fixed once created, so every hit
-- stays valid; a changed journey is a new journey.
CREATE TABLE insight_journeys (
    id         uuid PRIMARY KEY,
    tenant_id  uuid NOT NULL,
    key        text NOT NULL CHECK (key ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$'),
    name       text NOT NULL,
    steps      jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, key)
);
CREATE INDEX insight_journeys_created_idx ON insight_journeys (tenant_id, created_at DESC, id DESC);
ALTER TABLE insight_journeys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_journeys USING (tenant_id = current_tenant());

-- Every time a contact matched a journey step; source names the message or
-- event ('out:<wamid>', 'in:<wamid>', 'ev:<id>').
CREATE TABLE insight_journey_hits (
    tenant_id  uuid NOT NULL,
    journey_id uuid NOT NULL REFERENCES insight_journeys (id) ON DELETE CASCADE,
    source     text NOT NULL,
    step       smallint NOT NULL,
    contact    text NOT NULL,
    at         timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, journey_id, source, step)
);
CREATE INDEX insight_journey_hits_contact_idx ON insight_journey_hits (tenant_id, journey_id, contact);
ALTER TABLE insight_journey_hits ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_journey_hits USING (tenant_id = current_tenant());

-- Each contact's walk through a journey, recomputed from its hits whenever
-- they change: when it entered (first hit of step 1), when it first reached
-- each step in order (step_at[k] for step k+1), how often it went back to an
-- earlier step, and where it is now.
CREATE TABLE insight_journey_progress (
    tenant_id   uuid NOT NULL,
    journey_id  uuid NOT NULL REFERENCES insight_journeys (id) ON DELETE CASCADE,
    contact     text NOT NULL,
    entered_at  timestamptz NOT NULL,
    entered_day date NOT NULL,
    furthest    smallint NOT NULL,
    completed   boolean NOT NULL,
    step_at     timestamptz[] NOT NULL,
    loops       integer NOT NULL DEFAULT 0,
    loop_steps  smallint[] NOT NULL DEFAULT '{}',
    last_step   smallint NOT NULL,
    last_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, journey_id, contact)
);
CREATE INDEX insight_journey_progress_day_idx ON insight_journey_progress (tenant_id, journey_id, entered_day);
-- Experiment results count the exposed contacts who completed a journey.
CREATE INDEX insight_journey_progress_completed_idx ON insight_journey_progress (tenant_id, journey_id, last_at)
    INCLUDE (contact, step_at) WHERE completed;
ALTER TABLE insight_journey_progress ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_journey_progress USING (tenant_id = current_tenant());

-- Journey roll-ups of insight_journey_progress by the day contacts entered.
-- Step 0 holds the journey: contacts entered, completed, looping (contacts
-- with a loop) and loops; step s holds contacts who reached it, who stopped
-- there without completing, and loops back to it.
CREATE TABLE insight_journey_daily (
    tenant_id   uuid NOT NULL,
    journey_id  uuid NOT NULL REFERENCES insight_journeys (id) ON DELETE CASCADE,
    entered_day date NOT NULL,
    step        smallint NOT NULL,
    contacts    bigint NOT NULL DEFAULT 0,
    completed   bigint NOT NULL DEFAULT 0,
    stopped     bigint NOT NULL DEFAULT 0,
    looping     bigint NOT NULL DEFAULT 0,
    loops       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, journey_id, entered_day, step)
);
ALTER TABLE insight_journey_daily ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_journey_daily USING (tenant_id = current_tenant());

-- Whole seconds from first reaching step to first reaching the next, per
-- contact; the tiles histogram them (buckets as for response times) and a
-- median reads the one exact value inside its bucket through the index.
CREATE TABLE insight_journey_gaps (
    tenant_id   uuid NOT NULL,
    journey_id  uuid NOT NULL REFERENCES insight_journeys (id) ON DELETE CASCADE,
    contact     text NOT NULL,
    step        smallint NOT NULL,
    entered_day date NOT NULL,
    seconds     integer NOT NULL,
    bucket      integer NOT NULL,
    PRIMARY KEY (tenant_id, journey_id, contact, step)
);
CREATE INDEX insight_journey_gaps_bucket_idx ON insight_journey_gaps (tenant_id, journey_id, step, bucket, entered_day)
    INCLUDE (seconds);
ALTER TABLE insight_journey_gaps ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_journey_gaps USING (tenant_id = current_tenant());

CREATE TABLE insight_journey_gap_tiles (
    tenant_id  uuid NOT NULL,
    journey_id uuid NOT NULL REFERENCES insight_journeys (id) ON DELETE CASCADE,
    grain      text NOT NULL CHECK (grain IN ('d', 'w', 'm')),
    start      date NOT NULL,
    step       smallint NOT NULL,
    bucket     integer NOT NULL,
    contacts   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, journey_id, grain, start, step, bucket) INCLUDE (contacts)
);
ALTER TABLE insight_journey_gap_tiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_journey_gap_tiles USING (tenant_id = current_tenant());

-- A/B experiments. Annotations name an experiment by key; salt keeps one
-- experiment's assignment independent of another's.
CREATE TABLE insight_experiments (
    id         uuid PRIMARY KEY,
    tenant_id  uuid NOT NULL,
    key        text NOT NULL CHECK (key ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$'),
    name       text NOT NULL,
    variants   jsonb NOT NULL,
    journey_id uuid REFERENCES insight_journeys (id) ON DELETE SET NULL,
    salt       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, key)
);
CREATE INDEX insight_experiments_created_idx ON insight_experiments (tenant_id, created_at DESC, id DESC);
ALTER TABLE insight_experiments ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_experiments USING (tenant_id = current_tenant());

-- Message outcomes per experiment variant and day (of the message's at);
-- blocked counts failures whose code is block-related.
CREATE TABLE insight_experiment_daily (
    tenant_id  uuid NOT NULL,
    experiment text NOT NULL,
    variant    text NOT NULL,
    day        date NOT NULL,
    messages   bigint NOT NULL DEFAULT 0,
    sent       bigint NOT NULL DEFAULT 0,
    delivered  bigint NOT NULL DEFAULT 0,
    read       bigint NOT NULL DEFAULT 0,
    replied    bigint NOT NULL DEFAULT 0,
    failed     bigint NOT NULL DEFAULT 0,
    blocked    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, experiment, variant, day)
);
ALTER TABLE insight_experiment_daily ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_experiment_daily USING (tenant_id = current_tenant());

-- The contacts each experiment reached: the variant of, and the time (and
-- tenant-zone day) of, the first annotated message a contact got; and how
-- many contacts each variant first reached per day.
CREATE TABLE insight_exposures (
    tenant_id  uuid NOT NULL,
    experiment text NOT NULL,
    contact    text NOT NULL,
    variant    text NOT NULL,
    first_at   timestamptz NOT NULL,
    first_day  date NOT NULL,
    PRIMARY KEY (tenant_id, experiment, contact)
);
ALTER TABLE insight_exposures ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_exposures USING (tenant_id = current_tenant());

CREATE TABLE insight_exposure_daily (
    tenant_id  uuid NOT NULL,
    experiment text NOT NULL,
    variant    text NOT NULL,
    day        date NOT NULL,
    contacts   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, experiment, variant, day)
);
ALTER TABLE insight_exposure_daily ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_exposure_daily USING (tenant_id = current_tenant());

-- Idempotent API writes: the first response to (operation, key) is kept.
CREATE TABLE insight_idempotency (
    tenant_id      uuid NOT NULL,
    operation      text NOT NULL,
    key            text NOT NULL,
    request_sha256 bytea NOT NULL,
    response       jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, operation, key)
);
ALTER TABLE insight_idempotency ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insight_idempotency USING (tenant_id = current_tenant());

-- +goose Down
DROP TABLE insight_idempotency, insight_exposure_daily, insight_exposures, insight_experiment_daily, insight_experiments,
    insight_journey_gap_tiles, insight_journey_gaps, insight_journey_daily, insight_journey_progress, insight_journey_hits, insight_journeys, insight_events,
    insight_contact_counts, insight_contact_periods, insight_contacts, insight_response_dims, insight_response_agents,
    insight_response_phones, insight_response_tiles,
    insight_hourly, insight_failures_daily, insight_funnel_daily, insight_turns, insight_inbound,
    insight_messages, insight_settings;
