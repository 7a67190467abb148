-- The sync server's schema on SQLite.
--
-- Kept portable on purpose (migrations/postgres has the same tables, flags as BIGINT):
-- ids are UUID text, times are Unix milliseconds in BIGINT, flags are 0/1 integers,
-- JSON is stored as TEXT (PostgreSQL: could be JSONB), dates as ISO `YYYY-MM-DD`
-- text, which sorts like the dates.

CREATE TABLE properties (
    id          TEXT PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    timezone    TEXT NOT NULL,
    currency    TEXT NOT NULL,
    -- The last change-log sequence given out. Taken with an UPDATE ... RETURNING in
    -- the push transaction: the row lock orders the property's writers, so sequences
    -- commit in order and a pull never skips a change that commits late.
    last_seq    BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL
);

CREATE TABLE staff_users (
    id             TEXT PRIMARY KEY,
    property_id    TEXT NOT NULL REFERENCES properties (id),
    username       TEXT NOT NULL,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('manager', 'front_desk', 'housekeeping', 'maintenance')),
    -- argon2id PHC string.
    password_hash  TEXT NOT NULL,
    active         INTEGER NOT NULL DEFAULT 1,
    created_at     BIGINT NOT NULL,
    UNIQUE (property_id, username)
);

CREATE TABLE devices (
    id               TEXT PRIMARY KEY,
    property_id      TEXT NOT NULL REFERENCES properties (id),
    name             TEXT NOT NULL,
    -- Prefix of the provisional confirmation numbers the device makes offline.
    prefix           TEXT NOT NULL,
    -- SHA-256 of the device secret: the secret is 256 random bits, so a slow
    -- password hash would add nothing but latency to every sign-in.
    credential_hash  TEXT NOT NULL,
    revoked          INTEGER NOT NULL DEFAULT 0,
    enrolled_at      BIGINT NOT NULL,
    UNIQUE (property_id, prefix)
);

CREATE TABLE enrollment_codes (
    -- SHA-256 of the one-time code; the code itself is printed once by the CLI.
    code_hash    TEXT PRIMARY KEY,
    property_id  TEXT NOT NULL REFERENCES properties (id),
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT,
    device_id    TEXT REFERENCES devices (id),
    created_at   BIGINT NOT NULL
);

CREATE TABLE sessions (
    -- SHA-256 of the bearer token.
    token_hash   TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES staff_users (id),
    device_id    TEXT NOT NULL REFERENCES devices (id),
    property_id  TEXT NOT NULL REFERENCES properties (id),
    expires_at   BIGINT NOT NULL,
    revoked      INTEGER NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL
);

-- Every synced record of every kind, as sync core's field map.
CREATE TABLE records (
    property_id   TEXT NOT NULL REFERENCES properties (id),
    entity        TEXT NOT NULL,
    id            TEXT NOT NULL,
    version       BIGINT NOT NULL,
    fields        TEXT NOT NULL,
    field_clocks  TEXT NOT NULL,
    deleted       INTEGER NOT NULL DEFAULT 0,
    last_author   TEXT NOT NULL,
    -- Copies of reservation fields the double-booking check searches by (NULL for
    -- other kinds), so it reads the few overlapping stays instead of every stay.
    room_id       TEXT,
    arrival       TEXT,
    departure     TEXT,
    PRIMARY KEY (property_id, entity, id)
);

CREATE INDEX records_stays_by_dates ON records (property_id, entity, arrival, departure);

-- The property's history: every change with who, which device, when, before and after.
CREATE TABLE change_log (
    property_id  TEXT NOT NULL REFERENCES properties (id),
    seq          BIGINT NOT NULL,
    entity       TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    -- 'upsert' or 'delete' (sync core's ChangeKind).
    op           TEXT NOT NULL,
    version      BIGINT NOT NULL,
    before       TEXT,
    after        TEXT,
    user_id      TEXT NOT NULL,
    device_id    TEXT NOT NULL,
    hlc          TEXT NOT NULL,
    at           BIGINT NOT NULL,
    -- None for changes the server made itself (a conflict resolution).
    mutation_id  TEXT,
    PRIMARY KEY (property_id, seq)
);

CREATE INDEX change_log_by_record ON change_log (property_id, entity, record_id, seq);

-- Idempotency: the first result of each mutation, answered again to a replay.
CREATE TABLE applied_mutations (
    property_id      TEXT NOT NULL REFERENCES properties (id),
    idempotency_key  TEXT NOT NULL,
    mutation_id      TEXT NOT NULL,
    result           TEXT NOT NULL,
    applied_at       BIGINT NOT NULL,
    PRIMARY KEY (property_id, idempotency_key)
);

CREATE TABLE conflicts (
    id           TEXT PRIMARY KEY,
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
    resolution   TEXT
);

CREATE INDEX conflicts_by_status ON conflicts (property_id, status, created_at);
