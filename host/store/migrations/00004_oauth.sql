-- +goose Up
-- The OAuth 2.0 / OpenID Connect provider: registered clients, what fosite
-- stores per request (authorization codes, access and refresh tokens, PKCE
-- and OpenID Connect sessions), token signing keys, browser login flows and
-- the mfa_tokens of the MFA grants.

-- Registered clients. Lists are JSON arrays of strings. A confidential
-- client keeps only the bcrypt hash of its secret; a public client has none.
CREATE TABLE oauth_clients (
    id                TEXT    NOT NULL PRIMARY KEY,
    name              TEXT    NOT NULL DEFAULT '',
    secret_hash       BYTEA   NOT NULL,
    public            BOOLEAN NOT NULL DEFAULT FALSE,
    redirect_uris     TEXT    NOT NULL DEFAULT '[]',
    grant_types       TEXT    NOT NULL DEFAULT '[]',
    response_types    TEXT    NOT NULL DEFAULT '[]',
    scopes            TEXT    NOT NULL DEFAULT '[]',
    audience          TEXT    NOT NULL DEFAULT '[]',
    require_mfa       BOOLEAN NOT NULL DEFAULT FALSE,
    jwt_access_tokens BOOLEAN NOT NULL DEFAULT FALSE,
    first_party       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL
);

-- One row per stored fosite request: kind is code, access, refresh, pkce or
-- oidc; signature is the token's signature (never the token itself) or, for
-- oidc, a hash of the code. Rows that share request_id belong to one grant
-- and are revoked together. An inactive code or refresh token is kept until
-- it expires so that its replay can be detected. request and session are
-- JSON.
CREATE TABLE oauth_requests (
    kind             TEXT    NOT NULL,
    signature        TEXT    NOT NULL,
    request_id       TEXT    NOT NULL,
    client_id        TEXT    NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id          TEXT    REFERENCES users (id) ON DELETE CASCADE,
    request          TEXT    NOT NULL,
    session          TEXT    NOT NULL,
    active           BOOLEAN NOT NULL DEFAULT TRUE,
    access_signature TEXT    NOT NULL DEFAULT '',
    requested_at     BIGINT  NOT NULL,
    expires_at       BIGINT,
    PRIMARY KEY (kind, signature)
);
CREATE INDEX oauth_requests_request_id ON oauth_requests (request_id, kind);
CREATE INDEX oauth_requests_client_id ON oauth_requests (client_id);
CREATE INDEX oauth_requests_user_id ON oauth_requests (user_id);
CREATE INDEX oauth_requests_expiry ON oauth_requests (expires_at);

-- JWT ids of client assertions already seen, until they expire.
CREATE TABLE oauth_jtis (
    jti        TEXT   NOT NULL PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX oauth_jtis_expiry ON oauth_jtis (expires_at);

-- Token keys, sealed. purpose is 'sig' (JWT signing, published in the JWKS)
-- or 'hmac' (the secret behind opaque tokens). At most one key per purpose
-- and algorithm is active; a retired key stays until expires_at so tokens
-- it signed still verify.
CREATE TABLE oauth_keys (
    id          TEXT   NOT NULL PRIMARY KEY,
    purpose     TEXT   NOT NULL CHECK (purpose IN ('sig', 'hmac')),
    alg         TEXT   NOT NULL,
    private_key BYTEA  NOT NULL,
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT,
    expires_at  BIGINT
);
CREATE UNIQUE INDEX oauth_keys_one_active ON oauth_keys (purpose, alg) WHERE retired_at IS NULL;

-- Browser login flows between an authorization request and its code. state
-- is sealed; version guards concurrent steps.
CREATE TABLE oauth_login_flows (
    id         TEXT   NOT NULL PRIMARY KEY,
    state      BYTEA  NOT NULL,
    version    BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX oauth_login_flows_expiry ON oauth_login_flows (expires_at);

-- mfa_tokens of the MFA grants, by the SHA-256 of the token. A token belongs
-- to one client and one user, lives a few minutes and is deleted when used.
CREATE TABLE oauth_mfa_tokens (
    hash          BYTEA  NOT NULL PRIMARY KEY,
    client_id     TEXT   NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id       TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scopes        TEXT   NOT NULL DEFAULT '[]',
    audience      TEXT   NOT NULL DEFAULT '[]',
    amr           TEXT   NOT NULL DEFAULT '',
    auth_time     BIGINT NOT NULL,
    factor        TEXT   NOT NULL DEFAULT '',
    enrollment_id TEXT   NOT NULL DEFAULT '',
    challenge_id  TEXT   NOT NULL DEFAULT '',
    oob_hash      BYTEA,
    version       BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX oauth_mfa_tokens_expiry ON oauth_mfa_tokens (expires_at);
CREATE INDEX oauth_mfa_tokens_client_id ON oauth_mfa_tokens (client_id);
CREATE INDEX oauth_mfa_tokens_user_id ON oauth_mfa_tokens (user_id);

-- +goose Down
DROP TABLE oauth_mfa_tokens;
DROP TABLE oauth_login_flows;
DROP TABLE oauth_keys;
DROP TABLE oauth_jtis;
DROP TABLE oauth_requests;
DROP TABLE oauth_clients;
