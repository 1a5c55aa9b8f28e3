-- +goose Up
-- A factor may let a user hold several active credentials (WebAuthn: a phone
-- passkey and two security keys). Each such credential carries the public key
-- the factor gave it (the WebAuthn credential ID), unique within its factor
-- instance so a sign-in without a user name finds its owner, and the name
-- the user gave it. Credentials of other factors keep an empty key and at
-- most one active credential per user and factor.
ALTER TABLE credentials ADD COLUMN credential_key TEXT NOT NULL DEFAULT '';
ALTER TABLE credentials ADD COLUMN name TEXT NOT NULL DEFAULT '';

DROP INDEX credentials_one_active;
CREATE UNIQUE INDEX credentials_one_active ON credentials (user_id, factor) WHERE status = 'active' AND credential_key = '';
CREATE UNIQUE INDEX credentials_factor_key ON credentials (factor, credential_key) WHERE credential_key <> '';

-- A challenge issued before anyone is known (a passkey sign-in without a
-- user name). It is taken, and so deleted, by the one verification that
-- answers it.
CREATE TABLE discoverable_challenges (
    id         TEXT   NOT NULL PRIMARY KEY,
    factor     TEXT   NOT NULL,
    state      BYTEA  NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX discoverable_challenges_expiry ON discoverable_challenges (expires_at);

-- +goose Down
DROP TABLE discoverable_challenges;
DROP INDEX credentials_factor_key;
DELETE FROM credentials WHERE credential_key <> '';
DROP INDEX credentials_one_active;
CREATE UNIQUE INDEX credentials_one_active ON credentials (user_id, factor) WHERE status = 'active';
ALTER TABLE credentials DROP COLUMN name;
ALTER TABLE credentials DROP COLUMN credential_key;
