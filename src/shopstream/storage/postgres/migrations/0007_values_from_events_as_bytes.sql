-- Values an event's properties carry, kept whole. The event log keeps an event as bytes, so a
-- product id, an order id or a trigger id in it may contain a \u0000, which text and jsonb
-- refuse: the exposure or the measured event would have been dropped by its writer.
-- As 0005 made the decisions log's: an exposure's items and reasons (product ids, catalogue
-- names) as JSON bytes, a measured event's ids as UTF-8 bytes, and its quantity (the sum of
-- an order's lines) as a bigint.
ALTER TABLE exposures
    ALTER COLUMN items TYPE bytea USING convert_to(items::text, 'UTF8'),
    ALTER COLUMN reasons TYPE bytea USING convert_to(reasons::text, 'UTF8');
ALTER TABLE measured_events
    ALTER COLUMN order_id TYPE bytea USING convert_to(order_id, 'UTF8'),
    ALTER COLUMN trigger_id TYPE bytea USING convert_to(trigger_id, 'UTF8'),
    ALTER COLUMN offer_id TYPE bytea USING convert_to(offer_id, 'UTF8'),
    ALTER COLUMN key TYPE bytea USING convert_to(key, 'UTF8'),
    ALTER COLUMN quantity TYPE bigint;
