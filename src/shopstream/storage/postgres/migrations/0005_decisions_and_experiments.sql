-- The decisions log and shared experiment definitions (measure/decisions.py and
-- measure/experiment_config.py). No store wrote to 0001's `decisions` or `experiments`.

-- Each answer whole: its actions, what the request was about and the experiment arms of its
-- customer, each as JSON bytes (jsonb would refuse a \u0000 a request or an event carried in).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM decisions) OR EXISTS (SELECT 1 FROM experiments) THEN
        RAISE EXCEPTION 'decisions or experiments hold rows; move them out before migration 0005';
    END IF;
END;
$$;
ALTER TABLE decisions DROP COLUMN actions;
ALTER TABLE decisions ADD COLUMN actions bytea NOT NULL;
ALTER TABLE decisions ADD COLUMN context bytea NOT NULL;
ALTER TABLE decisions ADD COLUMN experiments bytea NOT NULL;

-- One row per experiment id ever defined, in the order of the file that defined it; a
-- removed experiment keeps its row with no definition, so a restart seeding from an old
-- experiments.yaml does not bring it back. Every change takes the next `version` under a
-- table lock, so a reader polling max(version) sees each change once it is committed.
ALTER TABLE experiments ALTER COLUMN definition DROP NOT NULL;
ALTER TABLE experiments ADD COLUMN position integer NOT NULL;
ALTER TABLE experiments ADD COLUMN version bigint NOT NULL;
CREATE SEQUENCE experiment_versions;
