-- The property's own confirmation numbers, H-<year>-<sequence>: the last sequence
-- given out per year. A reservation made offline carries a provisional number
-- (T-<device>-<counter>) that the server replaces with the next one here.
CREATE TABLE confirmation_sequences (
    property_id  TEXT NOT NULL REFERENCES properties (id),
    year         INTEGER NOT NULL,
    last         BIGINT NOT NULL,
    PRIMARY KEY (property_id, year)
);
