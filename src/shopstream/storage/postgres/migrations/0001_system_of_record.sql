-- The system of record of the scale-out backend. Applied once, in order, by migrate.py;
-- never edit a released migration: add the next one.

-- Every event ever appended, in log order, partitioned by the day it was received.
-- Partitions are created on demand by the archiver (archive.py); the primary key includes
-- the partition key as PostgreSQL requires, and an event's received_at never changes, so
-- (offset, received_at) is as unique as the offset.
CREATE TABLE events (
    "offset"     bigint      NOT NULL,
    received_at  timestamptz NOT NULL,
    source       text        NOT NULL,
    message_id   text        NOT NULL,
    partition    integer     NOT NULL,
    identities   text[]      NOT NULL,
    payload      bytea       NOT NULL,
    PRIMARY KEY ("offset", received_at)
) PARTITION BY RANGE (received_at);
CREATE INDEX events_identities ON events USING gin (identities);

-- Identifier -> customer, as the workers resolved it (latest wins by offset).
CREATE TABLE identity_links (
    identifier   text        PRIMARY KEY,
    customer_id  text        NOT NULL,
    "offset"     bigint      NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX identity_links_customer ON identity_links (customer_id);

CREATE TABLE identity_merges (
    id           text        PRIMARY KEY,
    winner       text        NOT NULL,
    loser        text        NOT NULL,
    "offset"     bigint      NOT NULL,
    message_id   text,
    at           timestamptz NOT NULL
);

-- Profiles as JSON (profiles/snapshot.py's shape), each with the offset it reflects.
CREATE TABLE profiles (
    customer_id  text        PRIMARY KEY,
    last_offset  bigint      NOT NULL,
    data         jsonb       NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Processor snapshots with the log offset they reflect (the StateStore protocol).
CREATE TABLE states (
    name         text        PRIMARY KEY,
    "offset"     bigint      NOT NULL,
    state        bytea       NOT NULL,
    saved_at     timestamptz NOT NULL DEFAULT now()
);

-- Decide and Measure.
CREATE TABLE decisions (
    decision_id  text        PRIMARY KEY,
    customer_id  text        NOT NULL,
    placement    text        NOT NULL,
    channel      text        NOT NULL,
    policy       text        NOT NULL,
    actions      jsonb       NOT NULL,
    at           timestamptz NOT NULL
);
CREATE TABLE exposures (
    decision_id  text        PRIMARY KEY,
    customer_id  text        NOT NULL,
    placement    text        NOT NULL,
    channel      text        NOT NULL,
    items        jsonb       NOT NULL,
    reasons      jsonb       NOT NULL,
    policy       text        NOT NULL,
    at           timestamptz NOT NULL
);
CREATE INDEX exposures_customer ON exposures (customer_id, at);
CREATE TABLE outcomes (
    "offset"     bigint      PRIMARY KEY,
    customer_id  text        NOT NULL,
    event        text        NOT NULL,
    value        numeric,
    at           timestamptz NOT NULL
);
CREATE INDEX outcomes_customer ON outcomes (customer_id, at);

-- Deliver: the durable outbox the deliverers drain.
CREATE TABLE outbox (
    id            bigserial   PRIMARY KEY,
    activation_id text        NOT NULL UNIQUE,
    channel       text        NOT NULL,
    payload       jsonb       NOT NULL,
    status        text        NOT NULL DEFAULT 'pending',
    attempts      integer     NOT NULL DEFAULT 0,
    next_at       timestamptz NOT NULL DEFAULT now(),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_due ON outbox (next_at) WHERE status = 'pending';

-- Experiments as their YAML definitions, parsed (versions kept by updated_at).
CREATE TABLE experiments (
    id           text        PRIMARY KEY,
    definition   jsonb       NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
