-- Exposures keep each action's propensity (off-policy evaluation) and are read by time
-- range (reports, experiment results).
ALTER TABLE exposures ADD COLUMN propensities jsonb NOT NULL DEFAULT '[]'::jsonb;
CREATE INDEX exposures_at ON exposures (at);
