-- Deliver and Measure on the system of record: the outbox as the deliver domain keeps it
-- (deliver/outbox.py), every delivery outcome, ad audience membership, and measured events.

-- 0001's outbox had none of an activation's fields (customer, kind, trigger, offer,
-- decision) and no store ever wrote to it: replace it, refusing if someone did.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM outbox) THEN
        RAISE EXCEPTION 'the 0001 outbox table holds rows; move them out before migration 0004';
    END IF;
END;
$$;
DROP TABLE outbox;

-- One row per activation key (a trigger firing again on a replay, or in a second API
-- process following the same log, inserts nothing). A claim leases a row by moving its
-- due_at to the lease's end, under FOR UPDATE SKIP LOCKED. The payload is the activation's
-- JSON as bytes: jsonb would refuse a \u0000 an event carried into it.
CREATE TABLE outbox (
    id           bigserial   PRIMARY KEY,
    key          text        NOT NULL UNIQUE,
    customer_id  text        NOT NULL,
    channel      text        NOT NULL,
    kind         text        NOT NULL,
    trigger_id   text        NOT NULL,
    offer_id     text,
    decision_id  text        NOT NULL,
    payload      bytea       NOT NULL,
    at           timestamptz NOT NULL,
    status       text        NOT NULL,
    attempts     integer     NOT NULL DEFAULT 0,
    due_at       timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    last_error   text
);
CREATE INDEX outbox_due ON outbox (due_at, id) WHERE status = 'pending';

-- How each delivery attempt ended (sent, delivered, failed, dead), in order of id.
CREATE TABLE delivery_outcomes (
    id           bigserial   PRIMARY KEY,
    key          text        NOT NULL REFERENCES outbox (key),
    status       text        NOT NULL,
    at           timestamptz NOT NULL,
    detail       text        NOT NULL
);

CREATE TABLE audience_members (
    audience     text        NOT NULL,
    customer_id  text        NOT NULL,
    since        timestamptz NOT NULL,
    PRIMARY KEY (audience, customer_id)
);

-- Outcomes and engagement as the API processes measure them (measure/outcomes.py), keyed
-- by log offset so replays and every further API process add nothing. The workers' own
-- `outcomes` table (orders, with the online state's customer) stays as it is.
CREATE TABLE measured_events (
    "offset"     bigint           PRIMARY KEY,
    customer_id  text             NOT NULL,
    event        text             NOT NULL,
    channel      text             NOT NULL,
    at           timestamptz      NOT NULL,
    revenue      double precision NOT NULL,
    order_id     text             NOT NULL,
    trigger_id   text             NOT NULL,
    offer_id     text             NOT NULL,
    key          text             NOT NULL,
    quantity     integer          NOT NULL
);
CREATE INDEX measured_events_at ON measured_events (at, "offset");
