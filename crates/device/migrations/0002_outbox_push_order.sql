-- The outbox is pushed in the order the desk worked (seq), which is causal by
-- construction: a record can only point at records that existed on the device
-- when it was written. Pushing by entity kind first sent a check-in's room
-- change ahead of the check-in itself, and the server saw an occupied room.
DROP INDEX outbox_push;
CREATE INDEX outbox_push ON outbox (state, seq);
