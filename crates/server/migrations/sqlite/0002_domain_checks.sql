-- Columns the server's domain checks search by, per-property merge policies, and
-- the persisted server clock.

-- Folio postings: the stay they belong to (balance at check-out, reversals) and
-- their idempotency key (one key is one posting, whatever the devices or retries).
ALTER TABLE records ADD COLUMN reservation_id TEXT;
ALTER TABLE records ADD COLUMN posting_key TEXT;
CREATE INDEX records_by_reservation ON records (property_id, reservation_id);
CREATE UNIQUE INDEX records_by_posting_key ON records (property_id, posting_key) WHERE posting_key IS NOT NULL;
-- Stays by room and dates: the double-booking check reads the few stays of one
-- room that touch the nights, and the occupancy check a room's in-house stays.
CREATE INDEX records_by_room ON records (property_id, room_id, arrival, departure);

-- The property's merge policy overrides as TOML (sync core's PolicyTable format);
-- NULL: the defaults of DOMAIN.md.
ALTER TABLE properties ADD COLUMN policies TEXT;
-- The server clock's last timestamp given out for this property, written in the
-- same transaction as the changes it stamps, so a restarted server never goes back.
ALTER TABLE properties ADD COLUMN last_hlc TEXT;
