-- Conflicts are one property's: their key is (property, id), so a conflict id made
-- by one hotel's desk can never shadow another hotel's.
CREATE TABLE conflicts_scoped (
    id           TEXT NOT NULL,
    property_id  TEXT NOT NULL REFERENCES properties (id),
    entity       TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    -- sync core's Conflict as JSON.
    body         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    resolved_at  BIGINT,
    resolved_by  TEXT,
    resolution   TEXT,
    PRIMARY KEY (property_id, id)
);
INSERT INTO conflicts_scoped (id, property_id, entity, record_id, kind, status, body, created_at, resolved_at,
                              resolved_by, resolution)
    SELECT id, property_id, entity, record_id, kind, status, body, created_at, resolved_at, resolved_by, resolution
    FROM conflicts;
DROP TABLE conflicts;
ALTER TABLE conflicts_scoped RENAME TO conflicts;
CREATE INDEX conflicts_by_status ON conflicts (property_id, status, created_at);

-- A stored push result is answered only to the desk that sent the mutation (NULL:
-- stored before this column; answered to that property's desks, redacted).
ALTER TABLE applied_mutations ADD COLUMN device_id TEXT;
