-- +goose Up
-- Operator-issued API keys, which identify the calling application (not a
-- user) on the documented endpoints that require one. Only the SHA-256 of a
-- key is stored. A revoked key stays as a record of what was issued; at most
-- one live key carries a given name, so a name picks out the key to revoke.
CREATE TABLE api_keys (
    id           TEXT   NOT NULL PRIMARY KEY,
    name         TEXT   NOT NULL,
    hash         BYTEA  NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE UNIQUE INDEX api_keys_live_name ON api_keys (name) WHERE revoked_at IS NULL;

-- +goose Down
DROP TABLE api_keys;
