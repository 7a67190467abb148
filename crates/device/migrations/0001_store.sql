-- The device's local store: every record of the property the device can see, the
-- durable outbox of mutations waiting for the server, sync metadata, local copies
-- of conflicts and the local history of changes.

-- One table for every kind of record: the field tables of sync-core are the schema,
-- so a new field needs no migration. The screens' filters are virtual generated
-- columns over the JSON, indexed by partial indexes per kind: they cost nothing for
-- rows of other kinds and keep the queries readable.
CREATE TABLE records (
    entity     TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    -- The current local value, pending local edits included (what the screens show).
    fields     TEXT    NOT NULL,
    -- The fields of the last server version: the base of three-way merges and of
    -- rebases on pull. NULL while the server has never seen the record.
    synced     TEXT,
    -- The last server version, NULL while never synced.
    version    INTEGER,
    deleted    INTEGER NOT NULL DEFAULT 0,
    -- Milliseconds since the Unix epoch of the last local or pulled change.
    updated_at INTEGER NOT NULL,

    arrival        TEXT GENERATED ALWAYS AS (json_extract(fields, '$.arrival')) VIRTUAL,
    departure      TEXT GENERATED ALWAYS AS (json_extract(fields, '$.departure')) VIRTUAL,
    status         TEXT GENERATED ALWAYS AS (json_extract(fields, '$.status')) VIRTUAL,
    room_id        TEXT GENERATED ALWAYS AS (json_extract(fields, '$.room_id')) VIRTUAL,
    room_type_id   TEXT GENERATED ALWAYS AS (json_extract(fields, '$.room_type_id')) VIRTUAL,
    reservation_id TEXT GENERATED ALWAYS AS (json_extract(fields, '$.reservation_id')) VIRTUAL,
    assignee_id    TEXT GENERATED ALWAYS AS (json_extract(fields, '$.assignee_id')) VIRTUAL,
    confirmation   TEXT GENERATED ALWAYS AS (json_extract(fields, '$.confirmation')) VIRTUAL,
    guest_name_lc  TEXT GENERATED ALWAYS AS (lower(json_extract(fields, '$.guest_name'))) VIRTUAL,
    number         TEXT GENERATED ALWAYS AS (json_extract(fields, '$.number')) VIRTUAL,

    PRIMARY KEY (entity, id)
);

CREATE INDEX reservation_arrival      ON records (arrival)           WHERE entity = 'reservation';
CREATE INDEX reservation_departure    ON records (departure)         WHERE entity = 'reservation';
CREATE INDEX reservation_status       ON records (status, arrival)   WHERE entity = 'reservation';
CREATE INDEX reservation_room         ON records (room_id, departure) WHERE entity = 'reservation';
CREATE INDEX reservation_guest_name   ON records (guest_name_lc)     WHERE entity = 'reservation';
CREATE INDEX reservation_confirmation ON records (confirmation)      WHERE entity = 'reservation';
CREATE INDEX task_assignee            ON records (assignee_id, status) WHERE entity = 'housekeeping_task';
CREATE INDEX posting_reservation      ON records (reservation_id)    WHERE entity = 'folio_posting';
CREATE INDEX pos_order_reservation    ON records (reservation_id)    WHERE entity = 'pos_order';
CREATE INDEX room_number              ON records (number)            WHERE entity = 'room';
CREATE INDEX room_by_type             ON records (room_type_id)      WHERE entity = 'room';

-- Mutations waiting for the server, written in the same transaction as the record.
-- An entry leaves the outbox only when the server answered for it.
CREATE TABLE outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    mutation_id TEXT    NOT NULL UNIQUE,
    entity      TEXT    NOT NULL,
    record_id   TEXT    NOT NULL,
    -- EntityKind::causal_rank: parents are pushed before the records pointing at them.
    causal_rank INTEGER NOT NULL,
    mutation    TEXT    NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed', 'held')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  INTEGER NOT NULL
);

CREATE INDEX outbox_push   ON outbox (state, causal_rank, seq);
CREATE INDEX outbox_record ON outbox (entity, record_id, seq);

-- Small key/value facts: cursor, per-kind last sync, failure counts, last HLC,
-- device identity, confirmation counter, settings.
CREATE TABLE sync_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Local copies of conflicts for the conflict dialog.
CREATE TABLE conflicts (
    id         TEXT    PRIMARY KEY NOT NULL,
    entity     TEXT    NOT NULL,
    record_id  TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    status     TEXT    NOT NULL DEFAULT 'open',
    created_at INTEGER NOT NULL
);

CREATE INDEX conflicts_open ON conflicts (status, created_at);

-- Who changed what, where and when (invariant 8), for the record history screen.
-- `before` and `after` hold the changed fields only.
CREATE TABLE history (
    id        INTEGER PRIMARY KEY,
    entity    TEXT    NOT NULL,
    record_id TEXT    NOT NULL,
    op        TEXT    NOT NULL,
    before    TEXT,
    after     TEXT,
    user_id   TEXT    NOT NULL,
    device_id TEXT    NOT NULL,
    hlc       TEXT    NOT NULL,
    at        INTEGER NOT NULL,
    origin    TEXT    NOT NULL CHECK (origin IN ('local', 'server'))
);

CREATE INDEX history_record ON history (entity, record_id, id);
