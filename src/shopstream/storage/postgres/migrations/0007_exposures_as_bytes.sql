-- An exposure's items and reasons as JSON bytes, as 0005 made the decisions log's: jsonb
-- refuses a \u0000, and a product id from an event's properties, a catalogue name in a reason,
-- may carry one (the event log keeps it as bytes); the exposure would have been dropped.
ALTER TABLE exposures ALTER COLUMN items TYPE bytea USING convert_to(items::text, 'UTF8');
ALTER TABLE exposures ALTER COLUMN reasons TYPE bytea USING convert_to(reasons::text, 'UTF8');
