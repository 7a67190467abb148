-- Edits of this desk that lost a merge to their field's policy (server wins, last
-- writer wins, priority): the server keeps them in the record's history; the desk
-- keeps them here to tell the user who made them, until they have seen them.
CREATE TABLE superseded (
    id         INTEGER PRIMARY KEY,
    entity     TEXT    NOT NULL,
    record_id  TEXT    NOT NULL,
    field      TEXT    NOT NULL,
    -- The desk's value that lost, and the value the record kept (JSON).
    value      TEXT    NOT NULL,
    kept       TEXT    NOT NULL,
    policy     TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    -- When the edit was made (milliseconds, from its clock).
    made_at    INTEGER NOT NULL,
    seen       INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX superseded_unseen ON superseded (seen, id);
