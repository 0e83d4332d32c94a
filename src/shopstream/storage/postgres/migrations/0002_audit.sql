-- Who looked at which customer's data (profiles/audit.py): append-only, enforced here.
CREATE TABLE audit (
    id           bigserial   PRIMARY KEY,
    at           timestamptz NOT NULL,
    actor        text        NOT NULL,
    role         text        NOT NULL,
    store_id     text,
    customer_id  text        NOT NULL,
    action       text        NOT NULL
);
CREATE INDEX audit_customer ON audit (customer_id, id);

CREATE FUNCTION audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_is_append_only();
