-- Dead letters (rejected events) in the system of record. Redis gives each its id (the
-- dead-letter stream's counter); a collector with ack=redis+postgres writes it here before
-- answering, and the workers archive whatever is still in Redis and trim it. Read by id,
-- Redis's recent part after this table's, as GET /v1/dead-letters pages it.
CREATE TABLE dead_letters (
    id           bigint      PRIMARY KEY,
    source       text        NOT NULL,
    received_at  timestamptz NOT NULL,
    field        text        NOT NULL,
    reason       text        NOT NULL,
    payload      bytea       NOT NULL,
    archived_at  timestamptz NOT NULL DEFAULT now()
);
