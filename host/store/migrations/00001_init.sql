-- Initial schema of the Factorgate host store.
--
-- The same file runs on SQLite and PostgreSQL, so it sticks to the common
-- subset: times are BIGINT microseconds since the Unix epoch, byte strings
-- are BYTEA (SQLite accepts the type name and stores blobs unchanged), and
-- numeric ids that the database would otherwise generate come from the
-- id_sequences table.

-- +goose Up
CREATE TABLE id_sequences (
    name       TEXT   NOT NULL PRIMARY KEY,
    last_value BIGINT NOT NULL
);

CREATE TABLE orgs (
    id         BIGINT NOT NULL PRIMARY KEY,
    name       TEXT   NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    org_id        BIGINT  NOT NULL REFERENCES orgs (id),
    name          TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL DEFAULT '',
    phone         TEXT    NOT NULL DEFAULT '',
    email         TEXT    NOT NULL DEFAULT '',
    admin         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);

CREATE INDEX users_org_id ON users (org_id);

CREATE TABLE credentials (
    id           TEXT   NOT NULL PRIMARY KEY,
    user_id      TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    factor       TEXT   NOT NULL,
    status       TEXT   NOT NULL CHECK (status IN ('pending', 'active')),
    state        BYTEA  NOT NULL,
    version      BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    expires_at   BIGINT
);

-- At most one pending and one active credential per user and factor.
CREATE UNIQUE INDEX credentials_one_pending ON credentials (user_id, factor) WHERE status = 'pending';
CREATE UNIQUE INDEX credentials_one_active ON credentials (user_id, factor) WHERE status = 'active';
CREATE INDEX credentials_user_created ON credentials (user_id, created_at);
CREATE INDEX credentials_pending_expiry ON credentials (expires_at) WHERE status = 'pending';

CREATE TABLE challenges (
    id            TEXT   NOT NULL PRIMARY KEY,
    user_id       TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id TEXT   REFERENCES credentials (id) ON DELETE CASCADE,
    factor        TEXT   NOT NULL,
    state         BYTEA  NOT NULL,
    version       BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT
);

CREATE INDEX challenges_user_id ON challenges (user_id);
CREATE INDEX challenges_credential_id ON challenges (credential_id);
CREATE INDEX challenges_expiry ON challenges (expires_at);

-- Failed verification attempts and lockout, one row per user.
CREATE TABLE lockouts (
    user_id      TEXT    NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    failures     INTEGER NOT NULL DEFAULT 0,
    lock_count   INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT,
    updated_at   BIGINT  NOT NULL
);

-- The audit log outlives the users and credentials it mentions, so it has no
-- foreign keys.
CREATE TABLE audit_events (
    id            BIGINT NOT NULL PRIMARY KEY,
    occurred_at   BIGINT NOT NULL,
    org_id        BIGINT NOT NULL DEFAULT 0,
    user_id       TEXT   NOT NULL DEFAULT '',
    actor         TEXT   NOT NULL DEFAULT '',
    action        TEXT   NOT NULL DEFAULT '',
    factor        TEXT   NOT NULL DEFAULT '',
    credential_id TEXT   NOT NULL DEFAULT '',
    result        TEXT   NOT NULL DEFAULT '',
    remote_addr   TEXT   NOT NULL DEFAULT '',
    detail        TEXT
);

CREATE INDEX audit_events_user_time ON audit_events (user_id, occurred_at, id);
CREATE INDEX audit_events_time ON audit_events (occurred_at, id);

CREATE TABLE api_tokens (
    id           TEXT    NOT NULL PRIMARY KEY,
    user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL DEFAULT '',
    hash         BYTEA   NOT NULL UNIQUE,
    admin        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   BIGINT  NOT NULL,
    last_used_at BIGINT,
    expires_at   BIGINT
);

CREATE INDEX api_tokens_user_id ON api_tokens (user_id, created_at);

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE audit_events;
DROP TABLE lockouts;
DROP TABLE challenges;
DROP TABLE credentials;
DROP TABLE users;
DROP TABLE orgs;
DROP TABLE id_sequences;
